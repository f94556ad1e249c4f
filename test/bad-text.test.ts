import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { createOAuthApp, pkce, standardQuery, type OAuthApp } from './helpers/oauth.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { installStoreTripwire, recordStoreCalls } from './helpers/tripwire-store.js';

// Issue 11.3, the review's requests one by one: on PostgreSQL each answered 500 with a stack trace in
// the log. Now both engines answer alike — 400 or 404 in the documented shape — and the tripwire
// proves no such text reached the store.
describeEachEngine('issue 11.3: invalid text never reaches the database', (engine) => {
  let server: TestServer;
  let app: OAuthApp;
  let storeViolations: string[];
  let keyLookups: unknown[][];
  beforeAll(async () => {
    server = await startTestServer(engine);
    app = await createOAuthApp(server);
    storeViolations = installStoreTripwire(server);
    keyLookups = recordStoreCalls(server, ['findApplicationByPublishableKey', 'findApplicationWithSecret', 'findApplicationBySecretHash']);
  });
  afterAll(() => server?.close());
  // Each test on its own: no unstorable text reached the store, and nothing was logged as an error.
  let logStart = 0;
  afterEach(() => {
    const violations = storeViolations.splice(0);
    const errors = server.logLines.slice(logStart).filter((line) => /"level":(50|60)/.test(line));
    logStart = server.logLines.length;
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
  });

  const form = (path: string, body: string, headers: Record<string, string> = {}) =>
    server.request(path, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
  const initiateWith = (extra: string) => {
    const query = new URLSearchParams(standardQuery(app, pkce().challenge)).toString();
    return server.request(`/v1/auth/oauth/authorize/initiate?${query}&${extra}`, { redirect: 'manual' });
  };
  const expectInvalidRequest = async (response: Response, parameter: string) => {
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_request', error_description: `the ${parameter} parameter must not contain U+0000` });
  };

  it('issue 11.3: GET /v1/auth/oauth/authorize/initiate?client_id=pk_test_%00&mode=api → 400 invalid_request', async () => {
    await expectInvalidRequest(await server.request('/v1/auth/oauth/authorize/initiate?client_id=pk_test_%00&mode=api'), 'client_id');
  });

  it('issue 11.3: U+0000 in state, nonce or redirect_uri at initiate → 400 invalid_request naming it (never a redirect)', async () => {
    // Appended to a valid request, so each parameter is the only fault (a repeat would be refused first).
    const valid = standardQuery(app, pkce().challenge);
    for (const [name, value] of [['state', 'state-1234%00'], ['nonce', 'n%00'], ['redirect_uri', `${encodeURIComponent(app.redirectUri)}%00`]] as const) {
      const { [name]: _dropped, ...rest } = valid as Record<string, string>;
      const response = await server.request(`/v1/auth/oauth/authorize/initiate?${new URLSearchParams(rest)}&${name}=${value}`, { redirect: 'manual' });
      await expectInvalidRequest(response, name);
    }
    // A valid request still works, after all that.
    expect((await initiateWith('nonce=n-1')).status).toBe(200);
  });

  it('issue 11.3: client_id=pk_test_%00 and a NUL redirect_uri at the token endpoint → 400 invalid_request', async () => {
    await expectInvalidRequest(await form('/v1/auth/oauth/token', 'grant_type=client_credentials&client_id=pk_test_%00'), 'client_id');
    const code = `grant_type=authorization_code&code=ac_unknown&code_verifier=${'v'.repeat(43)}&redirect_uri=https%3A%2F%2Fclient.example%2Fcallback%00`;
    await expectInvalidRequest(await form('/v1/auth/oauth/token', code, basic(app.publishableKey, app.secretKey)), 'redirect_uri');
    // The same in a JSON body (SPEC §6.4), with a lone surrogate too.
    const json = await server.request('/v1/auth/oauth/token', { json: { grant_type: 'client_credentials', client_id: 'pk_test_\uD800' } });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ error: 'invalid_request', error_description: 'the client_id parameter must be well-formed text (no lone surrogate)' });
  });

  it('issue 11.3: client_id=pk_test_%00 on revoke → 400 invalid_request', async () => {
    await expectInvalidRequest(await form('/v1/auth/oauth/revoke', 'token=x&client_id=pk_test_%00'), 'client_id');
  });

  it('issue 11.3: a NUL in an HTTP Basic client id at introspection is an unknown client: 401 invalid_client, no lookup', async () => {
    keyLookups.length = 0;
    for (const id of ['pk_test_\u0000', 'pk_test_%00', `${app.publishableKey}\u0000`]) {
      const response = await form('/v1/auth/oauth/introspect', 'token=x', basic(id, app.secretKey));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(await response.json()).toEqual({ error: 'invalid_client', error_description: 'client authentication failed: unknown client' });
    }
    expect(keyLookups).toEqual([]);
  });

  it('issue 11.3: malformed x-client-key / X-Publishable-Key / x-secret-key are unknown keys (401), with no lookup', async () => {
    keyLookups.length = 0;
    for (const key of ['pk_test_\u00ff', `${app.publishableKey}\u00ff`, `pk_test_${'x'.repeat(5000)}`]) {
      const consumer = await server.request('/auth/guest', { method: 'POST', headers: { 'x-publishable-key': key } });
      expect(consumer.status).toBe(401);
      expect((await consumer.json()).error).toBe('invalid_api_key');
      const oauth = await server.request('/v1/auth/oauth/authorize', { json: { token: 'x' }, headers: { 'x-client-key': key, authorization: 'Bearer x' } });
      expect(oauth.status).toBe(401);
      expect((await oauth.json()).error).toBe('invalid_client');
    }
    const secret = await server.request('/auth/external/authorize', { json: {}, headers: { 'x-secret-key': `${app.secretKey}\u00ff` } });
    expect(secret.status).toBe(401);
    expect((await secret.json()).error).toBe('invalid_api_key');
    expect(keyLookups).toEqual([]);
  });

  it('issue 11.3: GET /assets/theme/app_%00.css → 404 not_found (the stylesheet of a real application still answers)', async () => {
    for (const path of ['/assets/theme/app_%00.css', '/assets/theme/app_%ED%A0%80.css', `/assets/theme/${'a'.repeat(300)}.css`]) {
      const response = await server.request(path);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: 'not_found', message: 'no such file' });
    }
    expect((await server.request(`/assets/theme/${app.id}.css`)).status).toBe(200);
    expect((await server.request('/assets/theme/default.css')).status).toBe(200);
  });

  it('issue 11.3: GET /oauth/authorize/azr_%00 → the HTML 404 page of an unknown sign-in link', async () => {
    for (const path of ['/oauth/authorize/azr_%00', '/oauth/authorize/azr_%ED%A0%80', `/oauth/authorize/azr_${'A'.repeat(300)}`, '/oauth/authorize/azr_%00/login']) {
      const response = await server.request(path, { method: path.endsWith('/login') ? 'POST' : 'GET' });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(await response.text()).toContain('Sign-in link not valid');
    }
  });

  it('issue 11.3: U+0000 in a consumer-API JSON field → 400 validation_error with the seed\'s issue shape', async () => {
    const response = await server.request('/auth/external/authorize', {
      json: { provider: 'google', issuer: 'https://accounts.example', subject: 'a\u0000b' },
      headers: { authorization: `Bearer ${server.demo.secretKey}` },
    });
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error).toBe('validation_error');
    expect(body.issues).toEqual([expect.objectContaining({ kind: 'validation', expected: 'well-formed text', message: 'must be well-formed text without U+0000', path: [expect.objectContaining({ key: 'subject' })] })]);
  });

  it('issue 11.3: claims kept as sent obey the same rule, in nested values and in keys', async () => {
    for (const claims of [{ extra: 'a\u0000' }, { ['k\u0000']: 1 }, { extra: { deep: ['\uD800'] } }]) {
      const response = await server.request('/auth/external/authorize', {
        json: { provider: 'google', issuer: 'https://accounts.example', subject: 'claims-1', claims },
        headers: { authorization: `Bearer ${server.demo.secretKey}` },
      });
      expect(response.status).toBe(400);
      const body = await response.json();
      expect(body.issues).toEqual([expect.objectContaining({ expected: 'well-formed text', message: 'claims must be well-formed text without U+0000, keys included', path: [expect.objectContaining({ key: 'claims' })] })]);
    }
  });
});
