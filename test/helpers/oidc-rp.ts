import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import { expect } from 'vitest';
import { createApplication } from '../../src/flows/applications.js';
import { latestCode } from './otp.js';
import type { TestServer } from './server.js';

/**
 * A relying party and a person's browser, as the OpenID Foundation's conformance suite drives an
 * OpenID Provider: the protocol side is openid-client (it knows nothing of Latchkey beyond discovery),
 * the person is a cookie jar that follows redirects and fills the hosted login and consent forms.
 */

/** A registered client as the suite's static-client configuration describes it. */
export interface RelyingParty {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  /** A fresh openid-client configuration whose "now" is the server's TestClock (no sleeping). */
  config(): client.Configuration;
}

const REDIRECT_URI = 'https://rp.example/callback';
const POST_LOGOUT_REDIRECT_URI = 'https://rp.example/post_logout_redirect';

/**
 * A confidential client with PKCE optional (`--pkce optional`, SPEC §6.1: the suite sends no PKCE) and the
 * default scopes, authenticating with client_secret_basic unless `auth: 'post'`.
 */
export async function createRelyingParty(
  server: TestServer, options: { auth?: 'basic' | 'post'; scopes?: string[]; accessTokenAlg?: 'EdDSA' | 'RS256' } = {},
): Promise<RelyingParty> {
  const { deps } = server.server.runtime;
  const organization = (await deps.store.findOrganizationByName('default'))!;
  const { application, secretKey } = await createApplication(deps, {
    organizationId: organization.id, name: 'Conformance RP', type: 'confidential', environment: 'test',
    redirectUris: [REDIRECT_URI], postLogoutRedirectUris: [POST_LOGOUT_REDIRECT_URI], pkcePolicy: 'optional',
    ...(options.scopes ? { allowedScopes: options.scopes } : {}),
    ...(options.accessTokenAlg ? { accessTokenAlg: options.accessTokenAlg } : {}),
  });
  const clientId = application.publishableKey;
  const auth = () => (options.auth === 'post' ? client.ClientSecretPost(secretKey) : client.ClientSecretBasic(secretKey));
  const discovered = await client.discovery(new URL(server.url), clientId, secretKey, auth(), { execute: [client.allowInsecureRequests] });
  const metadata = discovered.serverMetadata();
  return {
    clientId, clientSecret: secretKey, redirectUri: REDIRECT_URI, postLogoutRedirectUri: POST_LOGOUT_REDIRECT_URI,
    config() {
      // openid-client checks iat/exp/auth_time against its own "now": make it the server's.
      const skew = Math.round((server.clock.now() - Date.now()) / 1000);
      const config = new client.Configuration(metadata, clientId, { client_secret: secretKey, [client.clockSkew]: skew }, auth());
      client.allowInsecureRequests(config);
      return config;
    },
  };
}

/** Where a navigation ended: a page of the server, or a redirect that leaves it (to a client). */
export type Landing =
  | { kind: 'page'; url: string; status: number; html: string }
  | { kind: 'redirect'; url: URL };

/** One HTML form of a page: its action and the values it would send. */
export interface HtmlForm {
  action: string;
  method: string;
  fields: Record<string, string>;
  /** Submit buttons: a browser sends the pressed one's name and value with the fields. */
  buttons: Array<{ label: string; name?: string; value?: string }>;
}

/** The forms of a page, read the way a browser would submit them (hidden and pre-filled inputs). */
export function formsOf(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attributes = match[1]!;
    const body = match[2]!;
    const fields: Record<string, string> = {};
    for (const input of body.matchAll(/<input\b[^>]*>/g)) {
      const name = /\bname="([^"]*)"/.exec(input[0])?.[1];
      if (name) fields[name] = decodeEntities(/\bvalue="([^"]*)"/.exec(input[0])?.[1] ?? '');
    }
    const buttons = [...body.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/g)].map((button) => {
      const name = /\bname="([^"]*)"/.exec(button[1]!)?.[1];
      const value = /\bvalue="([^"]*)"/.exec(button[1]!)?.[1];
      return { label: button[2]!.replace(/<[^>]*>/g, '').trim(), ...(name ? { name, value: decodeEntities(value ?? '') } : {}) };
    });
    forms.push({
      action: decodeEntities(/\baction="([^"]*)"/.exec(attributes)?.[1] ?? ''),
      method: (/\bmethod="([^"]*)"/.exec(attributes)?.[1] ?? 'get').toLowerCase(),
      fields, buttons,
    });
  }
  return forms;
}

function decodeEntities(text: string): string {
  return text.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

/** A person's user agent on the server's origin: keeps cookies, follows the server's redirects. */
export class Browser {
  private readonly cookies = new Map<string, string>();
  /** Every page of the server this browser was shown, in order (to tell whether a login page appeared). */
  readonly pages: Array<{ url: string; status: number; html: string }> = [];

  constructor(private readonly server: TestServer) {}

  /** One request to the server with this browser's cookies; its Set-Cookie lines are kept. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const name = pair!.slice(0, pair!.indexOf('=')).trim();
      const value = pair!.slice(pair!.indexOf('=') + 1).trim();
      const expired = value === '' || attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute)
        || (/^\s*expires=/i.test(attribute) && Date.parse(attribute.split('=')[1]!) < Date.now()));
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** GET (or the given request) and follow redirects while they stay on the server. */
  async navigate(url: string, init: RequestInit = {}): Promise<Landing> {
    let response = await this.request(url, init);
    let current = url;
    for (let hops = 0; hops < 10; hops++) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        const html = await response.text();
        this.pages.push({ url: current, status: response.status, html });
        return { kind: 'page', url: current, status: response.status, html };
      }
      const next = new URL(location, current);
      if (next.origin !== new URL(this.server.url).origin) return { kind: 'redirect', url: next };
      current = next.toString();
      response = await this.request(current);
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Submits a form of a page as a browser does (same-origin, urlencoded), with `values` filled in and `button` pressed. */
  submit(page: { url: string }, form: HtmlForm, values: Record<string, string> = {}, button?: HtmlForm['buttons'][number]): Promise<Landing> {
    const target = new URL(form.action || page.url, page.url).toString();
    const pressed = button?.name ? { [button.name]: button.value ?? '' } : {};
    const body = new URLSearchParams({ ...form.fields, ...values, ...pressed }).toString();
    return this.navigate(target, {
      method: 'POST', body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(this.server.url).origin, 'sec-fetch-site': 'same-origin' },
    });
  }
}

export interface Person {
  email: string;
  password: string;
  phone?: string;
}

/** What the browser did to get back to the client. */
export interface Interaction {
  landing: Landing;
  /** The hosted login page was shown (the person had to sign in). */
  sawLogin: boolean;
  /** The consent page was shown. */
  sawConsent: boolean;
  /** The email field of the login page as it was first shown (login_hint). */
  prefilledEmail?: string;
}

const isLoginPage = (html: string) => /<input[^>]*name="password"/.test(html);
const isConsentPage = (html: string) => /name="decision" value="approve"/.test(html);
const isSecondFactorPage = (html: string) => /name="pending"/.test(html);

/**
 * The person at the hosted pages: signs in with the password (and the SMS code of a second factor) and
 * approves consent, until the server redirects back to the client. Stops at any other page.
 */
export async function completeInteraction(server: TestServer, browser: Browser, start: Landing, person?: Person): Promise<Interaction> {
  const interaction: Interaction = { landing: start, sawLogin: false, sawConsent: false };
  let landing = start;
  for (let step = 0; step < 6 && landing.kind === 'page'; step++) {
    const forms = formsOf(landing.html);
    if (isLoginPage(landing.html) && person) {
      if (!interaction.sawLogin) interaction.prefilledEmail = forms[0]?.fields.email;
      interaction.sawLogin = true;
      landing = await browser.submit(landing, forms[0]!, { email: person.email, password: person.password });
    } else if (isSecondFactorPage(landing.html) && person?.phone) {
      landing = await browser.submit(landing, forms[0]!, { code: await latestCode(server, person.phone) });
    } else if (isConsentPage(landing.html)) {
      interaction.sawConsent = true;
      landing = await browser.submit(landing, forms.find((form) => form.fields.decision === 'approve')!);
    } else {
      break;
    }
  }
  interaction.landing = landing;
  return interaction;
}

/** Authorization request parameters as the suite sends them: response_type=code, no PKCE unless given. */
export type AuthorizationParameters = Record<string, string>;

/**
 * Sends the browser to the authorization endpoint (GET, or POST with a form body) and lets the person
 * finish. Returns the callback URL when the server redirected back to the client.
 */
export async function authorize(
  server: TestServer, rp: RelyingParty, browser: Browser, parameters: AuthorizationParameters, person?: Person, options: { method?: 'GET' | 'POST' } = {},
): Promise<Interaction> {
  const url = client.buildAuthorizationUrl(rp.config(), { redirect_uri: rp.redirectUri, response_type: 'code', ...parameters });
  let start: Landing;
  if (options.method === 'POST') {
    const endpoint = `${url.origin}${url.pathname}`;
    start = await browser.navigate(endpoint, { method: 'POST', body: url.searchParams.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  } else {
    start = await browser.navigate(url.toString());
  }
  return completeInteraction(server, browser, start, person);
}

/** The callback URL of an interaction that must have ended back at the client's redirect URI. */
export function callbackOf(interaction: Interaction, rp: RelyingParty): URL {
  const { landing } = interaction;
  if (landing.kind !== 'redirect') throw new Error(`expected a redirect to the client, got page ${landing.status}: ${landing.html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').slice(0, 400)}`);
  expect(`${landing.url.origin}${landing.url.pathname}`).toBe(rp.redirectUri);
  return landing.url;
}

/** The whole code flow of the suite's happy path: authorize, sign in, token request (ID token verified). */
export async function codeFlow(
  server: TestServer, rp: RelyingParty, browser: Browser, person: Person | undefined,
  parameters: AuthorizationParameters = {}, checks: client.AuthorizationCodeGrantChecks = {},
) {
  const state = parameters.state;
  const interaction = await authorize(server, rp, browser, { scope: 'openid', ...parameters }, person);
  const callback = callbackOf(interaction, rp);
  // Said plainly, so a failing module names what the server answered.
  const refused = callback.searchParams.get('error');
  if (refused) throw new Error(`authorization refused: ${refused}: ${callback.searchParams.get('error_description') ?? ''}`);
  const tokens = await client.authorizationCodeGrant(rp.config(), callback, {
    idTokenExpected: true, ...(state !== undefined ? { expectedState: state } : {}),
    ...(parameters.nonce !== undefined ? { expectedNonce: parameters.nonce } : {}), ...checks,
  });
  return { interaction, callback, tokens, claims: tokens.claims()! };
}

/** OpenID Connect Core §3.1.3.6: base64url of the left half of the SHA-256 of the access token (RS256). */
export function atHash(accessToken: string): string {
  const digest = createHash('sha256').update(accessToken).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** The decoded header and payload of a JWT, without verification (to inspect what the RP verified). */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return { header: JSON.parse(Buffer.from(header!, 'base64url').toString()), payload: JSON.parse(Buffer.from(payload!, 'base64url').toString()) };
}

/** The parameters an error response may carry (the suite's CheckForUnexpectedParametersInErrorResponseFromAuthorizationEndpoint). */
const ERROR_RESPONSE_PARAMS = ['error', 'error_description', 'error_uri', 'state', 'session_state', 'iss'];

/**
 * The error of an authorization response redirected to the client (RFC 6749 §4.1.2.1), after the
 * checks the suite makes on every one (performGenericAuthorizationEndpointErrorResponseValidation):
 * an `error`, no `code` (Core §3.1.2.6), no unexpected parameter, an `error_description` of the
 * characters RFC 6749 §4.1.2.1 allows, and `iss`, when present, the issuer (RFC 9207). The caller
 * checks the error code and the state it expects.
 */
export function authorizationError(interaction: Interaction, rp: RelyingParty): { error: string | null; state: string | null; iss: string | null } {
  const callback = callbackOf(interaction, rp);
  const { searchParams } = callback;
  expect(searchParams.get('error'), 'EnsureErrorFromAuthorizationEndpointResponse').toEqual(expect.any(String));
  expect(searchParams.has('code'), 'RejectAuthCodeInAuthorizationEndpointResponse').toBe(false);
  for (const name of searchParams.keys()) expect(ERROR_RESPONSE_PARAMS, `unexpected parameter ${name} in the error response`).toContain(name);
  const description = searchParams.get('error_description');
  if (description !== null) expect(description, 'ValidateErrorDescriptionFromAuthorizationEndpointResponseError').toMatch(/^[\x09\x0a\x0d\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
  if (searchParams.has('iss')) expect(searchParams.get('iss'), 'ValidateIssIfPresentInAuthorizationResponse').toBe(rp.config().serverMetadata().issuer);
  return { error: searchParams.get('error'), state: searchParams.get('state'), iss: searchParams.get('iss') };
}
