import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { createOAuthApp, createPasswordUser, loginToken, type OAuthApp } from './helpers/oauth.js';
import { percentEncode } from './helpers/routes.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { installStoreTripwire } from './helpers/tripwire-store.js';

// CHECKLIST "Everywhere": arbitrary OAuth requests never reach a 5xx, and errors keep RFC 6749's shape.
describeEachEngine('property: arbitrary OAuth requests never produce a 5xx', (engine) => {
  let server: TestServer;
  let app: OAuthApp;
  let userToken: string;
  let storeViolations: string[];
  beforeAll(async () => {
    server = await startTestServer(engine, { LATCHKEY_RATE_LIMIT_LOGIN_PER_IP: '100000/60', LATCHKEY_RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: '100000/60' });
    app = await createOAuthApp(server);
    const user = await createPasswordUser(server);
    userToken = await loginToken(server, app, user.email, user.password);
    // Issue 11.3: U+0000 or a lone surrogate reaching the store fails the run on SQLite too.
    storeViolations = installStoreTripwire(server);
  });
  afterAll(() => server?.close());

  // 'binary' strings hold U+0000, control characters and lone surrogates; issue 11.3 adds the
  // reviewer's NUL-suffixed keys and over-long values.
  const value = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.constantFrom('authorization_code', 'refresh_token', 'client_credentials', 'S256', 'code', 'api'),
    fc.constantFrom('pk_test_\u0000', 'https://client.example/callback\u0000', '\uD800', 'x\uDC00', 'state-1234\u0000'),
    fc.string({ minLength: 2049, maxLength: 9000 }),
  );
  const params = fc.dictionary(
    fc.constantFrom('grant_type', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope', 'client_id', 'client_secret', 'token', 'response_type', 'state', 'code_challenge', 'code_challenge_method', 'mode', 'nonce', 'x'),
    value,
  );
  const contentType = fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain');

  it('token, revoke, introspect and authorize endpoints', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST /v1/auth/oauth/token', 'POST /v1/auth/oauth/revoke', 'DELETE /v1/auth/oauth/revoke', 'POST /v1/auth/oauth/introspect', 'POST /v1/auth/oauth/authorize'),
        params, contentType, fc.constantFrom('basic', 'login', 'bearer-garbage', 'none', 'basic-hostile-id', 'client-key-hostile'),
        async (route, body, type, auth) => {
          const [method, path] = route.split(' ') as [string, string];
          const headers: Record<string, string> = { 'content-type': type, 'x-client-key': app.publishableKey };
          if (auth === 'basic') headers.authorization = `Basic ${Buffer.from(`${app.publishableKey}:${body.client_secret ?? 'x'}`).toString('base64')}`;
          if (auth === 'login') headers.authorization = `Bearer ${userToken}`;
          if (auth === 'bearer-garbage') headers.authorization = `Bearer ${Buffer.from(body.token ?? 'x').toString('base64url') || 'x'}`;
          // HTTP Basic carries any text, U+0000 and lone surrogates included (form-encoded or not).
          if (auth === 'basic-hostile-id') headers.authorization = `Basic ${Buffer.from(`${body.client_id ?? 'pk_test_%00'}:${app.secretKey}`).toString('base64')}`;
          if (auth === 'client-key-hostile') headers['x-client-key'] = `${app.publishableKey}${'\u00ff'.repeat((body.x ?? '').length % 5 + 1)}`;
          const raw = type === 'application/json' ? JSON.stringify(body) : Object.entries(body).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
          const response = await server.request(path, { method, body: raw, headers });
          const text = await response.text();
          expect(response.status, text).toBeLessThan(500);
          // SPEC §3: every refusal of an OAuth endpoint has RFC 6749 §5.2's shape.
          if (response.status >= 400) expect(JSON.parse(text)).toEqual({ error: expect.any(String), error_description: expect.any(String) });
        },
      ),
      { numRuns: 200 },
    );
    expect(storeViolations).toEqual([]);
  }, 120_000);

  it('the initiate endpoint and /v1/login', async () => {
    await fc.assert(
      fc.asyncProperty(params, fc.record({ email: fc.oneof(fc.emailAddress(), fc.string({ unit: 'binary' })), password: fc.string({ unit: 'binary' }) }, { requiredKeys: [] }), async (query, credentials) => {
        const search = Object.entries({ client_id: app.publishableKey, redirect_uri: app.redirectUri, ...query }).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
        const initiate = await server.request(`/v1/auth/oauth/authorize/initiate?${search}`, { redirect: 'manual' });
        const text = await initiate.text();
        expect(initiate.status, text).toBeLessThan(500);
        // SPEC §3: an error of the OAuth endpoints has RFC 6749 §5.2's shape (a 431 is Node's, before us).
        if (initiate.status >= 400 && initiate.status !== 431) expect(JSON.parse(text)).toEqual({ error: expect.any(String), error_description: expect.any(String) });
        const login = await server.request('/v1/auth/login', { json: credentials, headers: { 'x-client-key': app.publishableKey } });
        expect(login.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
    expect(storeViolations).toEqual([]);
  }, 120_000);
});
