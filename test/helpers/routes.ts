import { expect } from 'vitest';
import { schemaMismatch, type JsonSchema } from './json-schema.js';
import { createOAuthApp, createPasswordUser, initiate, loginToken, obtainCode, pkce, standardQuery, tokenRequest, basicOf, type OAuthApp } from './oauth.js';
import type { TestServer } from './server.js';

/** One operation of the route table, as GET /openapi.json describes it (so a new route is covered at once). */
export interface Operation {
  method: string;
  /** OpenAPI form: `/oauth/authorize/{id}`. */
  path: string;
  credential: string | undefined;
  requestTypes: string[];
  bodyFields: string[];
  requiredFields: string[];
  queryParams: string[];
  pathParams: string[];
  responses: Record<string, { schema?: JsonSchema }>;
}

/** Every operation of the running server's route table. */
export async function routeCatalogue(server: TestServer): Promise<Operation[]> {
  const document = await (await server.request('/openapi.json')).json();
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries<Record<string, any>>(document.paths)) {
    for (const [method, operation] of Object.entries<any>(methods)) {
      const content: Record<string, { schema: { properties?: Record<string, unknown>; required?: string[] } }> = operation.requestBody?.content ?? {};
      const bodySchema = Object.values(content)[0]?.schema;
      const parameters: Array<{ name: string; in: string }> = operation.parameters ?? [];
      operations.push({
        method: method.toUpperCase(),
        path,
        credential: Object.keys(operation.security?.[0] ?? {})[0],
        requestTypes: Object.keys(content),
        bodyFields: Object.keys(bodySchema?.properties ?? {}),
        requiredFields: bodySchema?.required ?? [],
        queryParams: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        responses: Object.fromEntries(
          Object.entries<any>(operation.responses).map(([status, response]) => [status, { schema: response.content?.['application/json']?.schema }]),
        ),
      });
    }
  }
  return operations;
}

/** Valid credentials and ids of every kind, so hostile input gets past authentication to the parsers. */
export interface Fixture {
  demo: { id: string; publishableKey: string; secretKey: string };
  app: OAuthApp;
  loginToken: string;
  oauthToken: string;
  guestToken: string;
  /** A pending hosted authorization request, with its browser's CSRF cookie and token. */
  hosted: { id: string; cookie: string; csrf: string };
}

export async function prepareFixture(server: TestServer): Promise<Fixture> {
  const app = await createOAuthApp(server);
  const user = await createPasswordUser(server);
  const token = await loginToken(server, app, user.email, user.password);
  const { code, verifier } = await obtainCode(server, app, user);
  const exchanged = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier }, basicOf(app));
  expect(exchanged.status).toBe(200);
  const guest = await server.request('/auth/guest', { method: 'POST', headers: { 'x-publishable-key': server.demo.publishableKey } });
  expect(guest.status).toBe(200);
  const { mode: _mode, ...query } = standardQuery(app, pkce().challenge);
  const started = await initiate(server, query);
  const pagePath = new URL(started.headers.get('location')!).pathname;
  const page = await server.request(pagePath);
  const cookie = page.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  return {
    demo: server.demo,
    app,
    loginToken: token,
    oauthToken: (await exchanged.json()).access_token,
    guestToken: (await guest.json()).accessToken,
    hosted: { id: pagePath.split('/').pop()!, cookie, csrf },
  };
}

/** A request to send, described so a failure names it. */
export interface Probe {
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * Percent-encodes any JavaScript string, lone surrogates included (as the three bytes of their
 * code point, which is how a hostile client would send one; encodeURIComponent refuses them).
 */
export function percentEncode(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const isHigh = unit >= 0xd800 && unit <= 0xdbff;
    const next = value.charCodeAt(i + 1);
    if (isHigh && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(value.slice(i, i + 2));
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    } else {
      out += encodeURIComponent(value[i]!);
    }
  }
  return out;
}

const formOf = (fields: Record<string, string>) => Object.entries(fields).map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`).join('&');

/** Plausible values of the fields the route table documents, so one hostile field is the only fault. */
function plausible(fixture: Fixture): Record<string, string> {
  return {
    provider: 'google', issuer: 'https://accounts.example', subject: 'subject-1', canonicalSubject: 'person-1',
    codeChallenge: 'c'.repeat(43), exchangeCode: 'exc_unknown', codeVerifier: 'v'.repeat(43), refreshToken: 'rt_unknown',
    email: 'someone@example.com', phone: '+14155552671', defaultCountry: 'US', name: 'Ada', code: '123456', password: 'pw',
    otpCode: '123456', userId: 'con_unknown', token: 'unknown-token', grant_type: 'client_credentials', token_type_hint: 'access_token',
    redirect_uri: fixture.app.redirectUri, code_verifier: 'v'.repeat(43), refresh_token: 'rt_unknown', scope: 'openid',
    client_id: fixture.app.publishableKey, client_secret: fixture.app.secretKey, csrf: fixture.hosted.csrf, pending: 'pending',
    decision: 'deny',
  };
}

/** The form fields of the hosted pages (HTML forms, not in the OpenAPI request bodies). */
const HOSTED_FORM_FIELDS = ['csrf', 'email', 'password', 'code', 'pending', 'decision', 'credential', 'name', 'totpCode', 'recoveryCode'];

// The end_session_endpoint is a page a browser navigates to too (SPEC §9): its refusals are HTML, as
// are those of the hosted account page (SPEC §12).
const isHostedPage = (path: string) =>
  path.startsWith('/oauth/authorize/') || path.startsWith('/v1/auth/oauth/end-session') || path === '/account' || path.startsWith('/account/');
const isOAuthEndpoint = (path: string) => path.startsWith('/v1/auth/oauth/') || path === '/v1/user' || path === '/v1/auth/logout';
/** SPEC §12 API mode: the login-token routes under /v1/user/ refuse a token as RFC 6750 §3 says; their other answers are the consumer API's. */
const isBearerRefusal = (path: string, status: number) => status === 401 && path.startsWith('/v1/user/');

/** The credential headers that let a request of `operation` through its authentication. */
function credentialHeaders(operation: Operation, fixture: Fixture): Record<string, string> {
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  switch (operation.credential) {
    case 'secretKey': return { authorization: `Bearer ${fixture.demo.secretKey}` };
    case 'publishableKey': return { 'x-publishable-key': fixture.demo.publishableKey };
    case 'clientKey': return { 'x-client-key': fixture.app.publishableKey };
    case 'consumerToken': return { authorization: `Bearer ${fixture.guestToken}` };
    case 'loginToken': return { 'x-client-key': fixture.app.publishableKey, authorization: `Bearer ${fixture.loginToken}` };
    case 'oauthToken': return { 'x-client-key': fixture.app.publishableKey, authorization: `Bearer ${fixture.oauthToken}` };
    case 'clientAuth': return { authorization: basic(fixture.app.publishableKey, fixture.app.secretKey) };
    default: return isHostedPage(operation.path) ? { cookie: fixture.hosted.cookie, 'sec-fetch-site': 'same-origin' } : {};
  }
}

/** A valid request of `operation` with one part replaced: a path parameter, a query parameter, a body field or a header. */
export interface Fault {
  pathParam?: [string, string];
  query?: [string, string];
  field?: [string, string];
  header?: [string, string];
  contentType?: string;
}

/** The fields a fault may hit on `operation`, in the body. */
export function bodyFieldsOf(operation: Operation): string[] {
  if (operation.path.startsWith('/v1/auth/oauth/end-session')) return operation.bodyFields;
  if (isHostedPage(operation.path) && operation.method === 'POST') return HOSTED_FORM_FIELDS;
  return operation.bodyFields;
}

/** The request of `operation` with `fault` applied. */
export function probe(operation: Operation, fixture: Fixture, fault: Fault): Probe {
  const values = plausible(fixture);
  const pathValues: Record<string, string> = { id: fixture.hosted.id, file: `${fixture.app.id}.css` };
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    fault.pathParam?.[0] === name ? percentEncode(fault.pathParam[1]) : encodeURIComponent(pathValues[name] ?? 'x'));
  const query: Record<string, string> =
    operation.path === '/v1/auth/oauth/authorize/initiate' ? standardQuery(fixture.app, 'c'.repeat(43)) : {};
  if (fault.query) query[fault.query[0]] = fault.query[1];
  const search = Object.keys(query).length > 0 ? `?${formOf(query)}` : '';
  const headers = { ...credentialHeaders(operation, fixture), ...(fault.header ? { [fault.header[0]]: fault.header[1] } : {}) };

  const hasBody = operation.method !== 'GET' && operation.method !== 'DELETE';
  if (!hasBody) return { label: describe(operation, fault), method: operation.method, path: path + search, headers };
  const fields: Record<string, string> = {};
  const hostedForm = isHostedPage(operation.path);
  for (const name of hostedForm ? ['csrf'] : operation.requiredFields) fields[name] = values[name] ?? 'x';
  if (fault.field) fields[fault.field[0]] = fault.field[1];
  const contentType = fault.contentType ?? (hostedForm ? 'application/x-www-form-urlencoded' : operation.requestTypes[0] ?? 'application/json');
  const body = contentType === 'application/json' ? JSON.stringify(fields) : formOf(fields);
  return { label: describe(operation, fault), method: operation.method, path: path + search, headers: { ...headers, 'content-type': contentType }, body };
}

function describe(operation: Operation, fault: Fault): string {
  const part = fault.pathParam ? `path ${fault.pathParam[0]}` : fault.query ? `query ${fault.query[0]}` : fault.field ? `field ${fault.field[0]}` : fault.header ? `header ${fault.header[0]}` : 'valid';
  const value = fault.pathParam?.[1] ?? fault.query?.[1] ?? fault.field?.[1] ?? fault.header?.[1] ?? '';
  return `${operation.method} ${operation.path} ${part}${fault.contentType ? ` (${fault.contentType})` : ''} = ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…(${value.length})` : value)}`;
}

/** Sends a probe (never following redirects). */
export function send(server: TestServer, request: Probe): Promise<Response> {
  return server.request(request.path, { method: request.method, headers: request.headers, body: request.body, redirect: 'manual' });
}

/**
 * SPEC §3 / CHECKLIST "Everywhere": no 5xx, and every refusal has its documented shape — the
 * OpenAPI schema of that status when the route documents one; else JSON of the consumer API
 * (`{ error, message }`) or, on the OAuth endpoints, RFC 6749 §5.2 (`{ error, error_description }`);
 * an HTML page on the hosted pages. Every validation issue carries seed 000's six fields, with
 * `expected` a string (issue 11.5).
 */
export async function expectDocumentedAnswer(operation: Operation, request: Probe, response: Response): Promise<void> {
  const text = await response.text();
  const where = `${request.label} → ${response.status} ${text.slice(0, 300)}`;
  expect(response.status, where).toBeLessThan(500);
  if (response.status < 400) return;
  // A request line or header over Node's 16 KiB limit is refused by Node's parser before any code
  // of ours runs: 431, without a body or a request id.
  if (response.status === 431 && !response.headers.has('x-request-id')) return;
  if (isHostedPage(operation.path)) {
    expect(response.headers.get('content-type'), where).toMatch(/^text\/html/);
    return;
  }
  expect(response.headers.get('content-type'), where).toMatch(/^application\/json/);
  const body = JSON.parse(text);
  const documented = operation.responses[String(response.status)]?.schema;
  if (documented) expect(schemaMismatch(documented, body), where).toBeUndefined();
  if (isOAuthEndpoint(operation.path) || isBearerRefusal(operation.path, response.status)) {
    expect(body, where).toEqual({ error: expect.any(String), error_description: expect.any(String) });
  } else if (body.error === 'validation_error') {
    expectSeedIssues(body.issues, where);
  } else {
    expect(body, where).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  }
}

/** Seed 000: every issue has `kind`, `type`, `expected`, `received`, `message` (strings) and `path` (an array). */
export function expectSeedIssues(issues: unknown, where: string): void {
  expect(Array.isArray(issues) && issues.length > 0, where).toBe(true);
  for (const issue of issues as Array<Record<string, unknown>>) {
    for (const field of ['kind', 'type', 'expected', 'received', 'message']) expect(typeof issue[field], `${where}: ${field} of ${JSON.stringify(issue)}`).toBe('string');
    expect(Array.isArray(issue.path), where).toBe(true);
    if (Array.isArray(issue.issues)) expectSeedIssues(issue.issues, where);
  }
}
