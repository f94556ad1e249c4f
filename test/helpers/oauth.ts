import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { createApplication } from '../../src/flows/applications.js';
import { createUser } from '../../src/flows/users.js';
import type { TestServer } from './server.js';

export interface OAuthApp {
  id: string;
  publishableKey: string;
  secretKey: string;
  redirectUri: string;
}

/** A registered OAuth client of the default organization (or `organizationId`). */
export async function createOAuthApp(
  server: TestServer,
  options: {
    type?: 'confidential' | 'public'; redirectUris?: string[]; scopes?: string[]; organizationId?: string; environment?: 'test' | 'live';
    pkcePolicy?: 'required' | 'optional'; postLogoutRedirectUris?: string[]; accessTokenAlg?: 'EdDSA' | 'RS256'; isFirstParty?: boolean;
    requirePushedAuthorizationRequests?: boolean; resources?: string[];
  } = {},
): Promise<OAuthApp> {
  const { deps } = server.server.runtime;
  const organizationId = options.organizationId ?? (await deps.store.findOrganizationByName('default'))!.id;
  const redirectUris = options.redirectUris ?? ['https://client.example/callback'];
  const { application, secretKey } = await createApplication(deps, {
    organizationId, name: 'OAuth client', type: options.type ?? 'confidential', environment: options.environment ?? 'test',
    redirectUris, allowedScopes: options.scopes ?? ['openid', 'profile', 'email'],
    pkcePolicy: options.pkcePolicy, postLogoutRedirectUris: options.postLogoutRedirectUris, accessTokenAlg: options.accessTokenAlg, isFirstParty: options.isFirstParty,
    requirePushedAuthorizationRequests: options.requirePushedAuthorizationRequests, resources: options.resources,
  });
  return { id: application.id, publishableKey: application.publishableKey, secretKey, redirectUri: redirectUris[0]! };
}

let userCounter = 0;
/** A user with a password (and an SMS second factor when `phone` is given). */
export async function createPasswordUser(server: TestServer, options: { phone?: string; organizationId?: string; environment?: 'test' | 'live' } = {}) {
  const { deps } = server.server.runtime;
  const organizationId = options.organizationId ?? (await deps.store.findOrganizationByName('default'))!.id;
  const email = `user${++userCounter}-${randomBytes(3).toString('hex')}@example.com`;
  const password = 'correct horse battery staple';
  const user = await createUser(deps, {
    organizationId, environment: options.environment ?? 'test', email, password, fullName: 'Ada King Lovelace', ...(options.phone ? { phone: options.phone } : {}),
  });
  return { id: user.id, email, password };
}

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** GET the step-1 endpoint with the given query (repeated keys allowed, for negative tests). */
export function initiate(server: TestServer, query: Array<[string, string]> | Record<string, string>, headers: Record<string, string> = {}) {
  const search = new URLSearchParams(query as Record<string, string>);
  return server.request(`/v1/auth/oauth/authorize/initiate?${search}`, { redirect: 'manual', headers });
}

export function standardQuery(app: OAuthApp, challenge: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    response_type: 'code', client_id: app.publishableKey, redirect_uri: app.redirectUri, state: 'state-1234567890',
    code_challenge: challenge, code_challenge_method: 'S256', scope: 'openid profile', mode: 'api', ...extra,
  };
}

export async function login(server: TestServer, app: { publishableKey: string }, email: string, password: string, otpCode?: string) {
  return server.request('/v1/auth/login', { json: { email, password, ...(otpCode ? { otpCode } : {}) }, headers: { 'x-client-key': app.publishableKey } });
}

export async function loginToken(server: TestServer, app: { publishableKey: string }, email: string, password: string): Promise<string> {
  const response = await login(server, app, email, password);
  expect(response.status).toBe(200);
  return (await response.json()).accessToken;
}

export function authorizeStep3(server: TestServer, app: { publishableKey: string }, token: string, sessionToken: string) {
  return server.request('/v1/auth/oauth/authorize', {
    json: { token: sessionToken },
    headers: { 'x-client-key': app.publishableKey, authorization: `Bearer ${token}` },
  });
}

/** POST the token endpoint as a form, with HTTP Basic when `basic` is given. */
export function tokenRequest(server: TestServer, params: Record<string, string> | Array<[string, string]>, basic?: { id: string; secret: string }) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString('base64')}`;
  return server.request('/v1/auth/oauth/token', { method: 'POST', body: new URLSearchParams(params as Record<string, string>).toString(), headers });
}

export const basicOf = (app: OAuthApp) => ({ id: app.publishableKey, secret: app.secretKey });

/** Steps 1–3 in API mode: an authorization code ready for step 4. */
export async function obtainCode(server: TestServer, app: OAuthApp, user: { email: string; password: string }, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const started = await initiate(server, standardQuery(app, challenge, extra));
  expect(started.status).toBe(200);
  const { token: sessionToken } = await started.json();
  const userToken = await loginToken(server, app, user.email, user.password);
  const authorized = await authorizeStep3(server, app, userToken, sessionToken);
  expect(authorized.status).toBe(200);
  const body = await authorized.json();
  return { code: body.code as string, url: body.url as string, state: body.state as string, verifier, userToken };
}
