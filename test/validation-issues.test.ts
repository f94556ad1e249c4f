import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { createOAuthApp, type OAuthApp } from './helpers/oauth.js';
import { expectSeedIssues, routeCatalogue, type Operation } from './helpers/routes.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// Issue 11.5 / seed 000 / SPEC §3: every validation issue has `kind`, `type`, `expected`, `received`,
// `message` and `path`, and `expected` is a string (the OpenAPI schema says so) — Valibot leaves it
// null for format checks such as `email`.
describeEachEngine('issue 11.5: `expected` is always a string in validation issues', (engine) => {
  let server: TestServer;
  let app: OAuthApp;
  let operations: Operation[];
  beforeAll(async () => {
    server = await startTestServer(engine, { LATCHKEY_RATE_LIMIT_OTP_REQUEST_PER_IP: '100000/60', LATCHKEY_RATE_LIMIT_LOGIN_PER_IP: '100000/60' });
    app = await createOAuthApp(server);
    operations = await routeCatalogue(server);
  });
  afterAll(() => server?.close());

  const post = (path: string, json: unknown, headers: Record<string, string>) => server.request(path, { json, headers });
  const issuesOf = async (response: Response) => {
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error).toBe('validation_error');
    return body.issues as Array<Record<string, unknown>>;
  };

  it('issue 11.5: /auth/otp/request {"email":"not-an-email"} → expected "email"', async () => {
    const issues = await issuesOf(await post('/auth/otp/request', { email: 'not-an-email' }, { 'x-publishable-key': server.demo.publishableKey }));
    expect(issues).toEqual([
      {
        kind: 'validation', type: 'email', input: 'not-an-email', expected: 'email', received: '"not-an-email"', message: 'email must be a valid address',
        path: [{ type: 'object', origin: 'value', input: { email: 'not-an-email' }, key: 'email', value: 'not-an-email' }],
      },
    ]);
  });

  it('issue 11.5: /auth/otp/verify and /v1/auth/login with a bad email → expected a string', async () => {
    const verify = await issuesOf(await post('/auth/otp/verify', { email: 'not-an-email', code: '123456' }, { 'x-publishable-key': server.demo.publishableKey }));
    expect(verify).toEqual([expect.objectContaining({ type: 'email', expected: 'email' })]);
    const login = await issuesOf(await post('/v1/auth/login', { email: 'not-an-email', password: 'x' }, { 'x-client-key': app.publishableKey }));
    expect(login).toEqual([expect.objectContaining({ type: 'email', expected: 'email' })]);
    for (const issue of [...verify, ...login]) expectSeedIssues([issue], JSON.stringify(issue));
  });

  it('issue 11.5 / seed 000: any JSON body on any consumer-API route → every issue has the six fields, `expected` a string', async () => {
    // The routes of the table that take a JSON body and answer validation_error (SPEC §3).
    const validating = operations.filter((operation) => operation.requestTypes.includes('application/json') && operation.responses['400'] && !operation.path.startsWith('/v1/auth/oauth/'));
    expect(validating.map((operation) => operation.path)).toEqual(expect.arrayContaining(['/auth/external/authorize', '/auth/otp/request', '/auth/otp/verify', '/v1/auth/login']));
    const headers = (operation: Operation): Record<string, string> =>
      operation.credential === 'secretKey' ? { authorization: `Bearer ${server.demo.secretKey}` }
      : operation.credential === 'clientKey' ? { 'x-client-key': app.publishableKey }
      : { 'x-publishable-key': server.demo.publishableKey };
    const field = fc.oneof(fc.string(), fc.emailAddress(), fc.integer(), fc.constant(null), fc.boolean(), fc.constantFrom('not-an-email', '+1', 'ZZ', '12345'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...validating), fc.nat(), fc.array(field, { maxLength: 8 }), async (operation, seed, values) => {
        const names = operation.bodyFields;
        const body = Object.fromEntries(values.map((value, i) => [names[(seed + i) % names.length]!, value]));
        const response = await post(operation.path, body, headers(operation));
        expect(response.status).toBeLessThan(500);
        if (response.status !== 400) return;
        const answer = await response.json();
        if (answer.error === 'validation_error') expectSeedIssues(answer.issues, `${operation.path} ${JSON.stringify(body)}`);
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
