import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

type Schema = { type?: string; const?: unknown; properties?: Record<string, Schema>; required?: string[]; items?: Schema };

const seed = JSON.parse(readFileSync(new URL('./fixtures/seed-000-external-authorize.json', import.meta.url), 'utf8')).post;

/**
 * Asserts `ours` carries everything `theirs` (the seed) says: each property with the same type or
 * const, every required name, recursively. Ours may add properties (e.g. `resolution`).
 */
function expectCovers(ours: Schema, theirs: Schema, where: string): void {
  if (theirs.type) expect(ours.type, `${where}.type`).toBe(theirs.type);
  if (theirs.const !== undefined) expect(ours.const, `${where}.const`).toBe(theirs.const);
  expect(ours.required ?? [], `${where}.required`).toEqual(expect.arrayContaining(theirs.required ?? []));
  for (const [name, property] of Object.entries(theirs.properties ?? {})) {
    expect(ours.properties, `${where} has ${name}`).toHaveProperty(name);
    expectCovers(ours.properties![name]!, property, `${where}.${name}`);
  }
  if (theirs.items) expectCovers(ours.items!, theirs.items, `${where}[]`);
}

describe('GET /openapi.json', () => {
  let server: TestServer;
  let document: any;
  beforeAll(async () => {
    server = await startTestServer('sqlite');
    const response = await server.request('/openapi.json');
    expect(response.status).toBe(200);
    document = await response.json();
  });
  afterAll(() => server?.close());

  it('is OpenAPI 3.1 with every endpoint of the consumer API', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/auth/external/authorize', '/auth/external/exchange', '/auth/refresh', '/auth/logout', '/consumers/me', '/.well-known/jwks.json', '/healthz', '/readyz']),
    );
  });

  it('issue 11.2: documents the second-factor step: the pending answer of /auth/otp/verify and both second-factor endpoints', () => {
    const verify = document.paths['/auth/otp/verify'].post.responses['200'].content['application/json'].schema;
    expect(JSON.stringify(verify)).toContain('secondFactorToken');
    for (const path of ['/auth/second-factor/request', '/auth/second-factor/verify']) {
      const operation = document.paths[path]?.post;
      expect(operation, path).toBeDefined();
      expect(operation.requestBody.content['application/json'].schema.required).toContain('secondFactorToken');
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '429']));
    }
    // SPEC §12: exactly one of the SMS code, the authenticator app's code or a recovery code.
    const verifyBody = document.paths['/auth/second-factor/verify'].post.requestBody.content['application/json'].schema;
    expect(verifyBody.required).toEqual(['secondFactorToken']);
    expect(Object.keys(verifyBody.properties)).toEqual(['secondFactorToken', 'code', 'totpCode', 'recoveryCode']);
  });

  it('SPEC §12 / issue 18: documents the TOTP routes under the consumer API and API mode, and the new second-factor fields', () => {
    for (const [base, credential] of [['/consumers/me/second-factors', 'consumerToken'], ['/v1/user/second-factors', 'loginToken']] as const) {
      const operations = [
        [base, 'get'], [`${base}/totp`, 'post'], [`${base}/totp/confirm`, 'post'], [`${base}/totp`, 'delete'], [`${base}/recovery-codes`, 'post'],
      ] as const;
      for (const [path, method] of operations) {
        const operation = document.paths[path]?.[method];
        expect(operation, `${method} ${path}`).toBeDefined();
        expect(JSON.stringify(operation.security ?? operation), `${method} ${path}`).toContain(credential);
      }
      expect(document.paths[`${base}/totp/confirm`].post.requestBody.content['application/json'].schema.required).toEqual(['totpCode']);
      expect(Object.keys(document.paths[`${base}/totp`].delete.requestBody.content['application/json'].schema.properties)).toEqual(['totpCode', 'recoveryCode']);
      expect(Object.keys(document.paths[`${base}/totp`].post.responses['200'].content['application/json'].schema.properties)).toEqual(['secret', 'otpauthUri', 'qrCodeSvg']);
      expect(Object.keys(document.paths[`${base}/totp/confirm`].post.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '409', '429']));
    }
    expect(Object.keys(document.paths['/v1/auth/login'].post.requestBody.content['application/json'].schema.properties)).toEqual(['email', 'password', 'otpCode', 'totpCode', 'recoveryCode']);
    const pending = JSON.stringify(document.paths['/auth/otp/verify'].post.responses['200'].content['application/json'].schema);
    expect(pending).toContain('secondFactors');
  });

  it('seed 000: /auth/external/authorize carries the seed fields, required lists and status codes', () => {
    const ours = document.paths['/auth/external/authorize'].post;
    expect(ours.operationId).toBe(seed.operationId);
    expect(Object.keys(ours.responses)).toEqual(expect.arrayContaining(Object.keys(seed.responses)));
    expectCovers(ours.requestBody.content['application/json'].schema, seed.requestBody.content['application/json'].schema, 'requestBody');
    for (const [status, response] of Object.entries<any>(seed.responses)) {
      expectCovers(ours.responses[status].content['application/json'].schema, response.content['application/json'].schema, `responses.${status}`);
    }
  });

  it('documents every OAuth endpoint of SPEC §6, with form and JSON bodies for the token endpoint', () => {
    for (const [path, method] of [
      ['/v1/auth/oauth/authorize/initiate', 'get'], ['/v1/auth/login', 'post'], ['/v1/auth/login/otp', 'post'], ['/v1/auth/logout', 'post'],
      ['/v1/auth/oauth/authorize', 'post'], ['/v1/auth/oauth/token', 'post'], ['/v1/auth/oauth/revoke', 'post'], ['/v1/auth/oauth/revoke', 'delete'],
      ['/v1/auth/oauth/introspect', 'post'], ['/v1/user', 'get'], ['/.well-known/oauth-authorization-server', 'get'], ['/.well-known/openid-configuration', 'get'],
    ] as const) {
      expect(document.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(Object.keys(document.paths['/v1/auth/oauth/token'].post.requestBody.content)).toEqual(['application/x-www-form-urlencoded', 'application/json']);
    const initiate = document.paths['/v1/auth/oauth/authorize/initiate'].get.parameters;
    // SPEC §6.1 (issue 14): PKCE may be optional for a confidential application; S256 is the only method.
    expect(initiate.find((p: { name: string }) => p.name === 'code_challenge_method')).toMatchObject({ in: 'query', required: false, schema: { const: 'S256' } });
    // OpenID Connect Core §3.1.2.1: the same request as a form POST.
    expect(Object.keys(document.paths['/v1/auth/oauth/authorize/initiate'].post.requestBody.content)).toEqual(['application/x-www-form-urlencoded']);
    // Seed 001: the step-3 request and response fields.
    const authorize = document.paths['/v1/auth/oauth/authorize'].post;
    expect(authorize.requestBody.content['application/json'].schema).toMatchObject({ required: ['token'] });
    // SPEC §6.1 (issue 14): state comes back only when step 1 sent one.
    expect(authorize.responses['200'].content['application/json'].schema).toMatchObject({ required: ['url', 'code'] });
    expect(authorize.responses['200'].content['application/json'].schema.properties.state).toBeDefined();
  });

  it('request schemas are the validating schemas: limits appear in the document', () => {
    const body = document.paths['/auth/external/authorize'].post.requestBody.content['application/json'].schema;
    expect(body.properties.provider).toMatchObject({ type: 'string', minLength: 1, maxLength: 64 });
    expect(body.properties.subject).toMatchObject({ maxLength: 255 });
    expect(body.properties.codeChallenge).toMatchObject({ pattern: '^[A-Za-z0-9\\-_]{43}$' });
    expect(document.paths['/auth/refresh'].post.requestBody.content['application/json'].schema.required).toEqual(['refreshToken']);
  });
});
