import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// Issue 11.8 / SPEC §2: `Authorization: Bearer pk_…` is a credential of the wrong kind — 403
// `forbidden`, the message naming the header that takes a publishable key — not a bad access token.
describeEachEngine('issue 11.8: a publishable key in Authorization: Bearer', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());

  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  const expectForbidden = async (response: Response) => {
    expect(response.status).toBe(403);
    const body = await response.json();
    expect(body).toEqual({ error: 'forbidden', message: expect.stringContaining('X-Publishable-Key') });
    expect(body.message).toContain('not as Authorization: Bearer');
  };

  it('SPEC §2 / issue 11.8: Bearer pk_… on a secret-key route → 403 forbidden naming X-Publishable-Key and the secret key headers', async () => {
    const response = await server.request('/auth/external/authorize', { json: { provider: 'p', issuer: 'i', subject: 's' }, headers: bearer(server.demo.publishableKey) });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: 'forbidden',
      message: 'a publishable key is sent as X-Publishable-Key (or x-client-key), not as Authorization: Bearer; this endpoint needs a secret key (Authorization: Bearer sk_… or x-secret-key)',
    });
  });

  it('SPEC §2 / issue 11.8: Bearer pk_… on consumer-token routes → 403 forbidden', async () => {
    await expectForbidden(await server.request('/consumers/me', { headers: bearer(server.demo.publishableKey) }));
    await expectForbidden(await server.request('/auth/logout', { method: 'POST', headers: bearer(server.demo.publishableKey) }));
  });

  it('SPEC §2 / issue 11.8: Bearer pk_… on publishable-key routes (alone, or beside the right header) → 403 forbidden', async () => {
    await expectForbidden(await server.request('/auth/guest', { method: 'POST', headers: bearer(server.demo.publishableKey) }));
    const both = { ...bearer(server.demo.publishableKey), 'x-publishable-key': server.demo.publishableKey };
    await expectForbidden(await server.request('/auth/otp/verify', { json: { email: 'a@example.com', code: '123456' }, headers: both }));
  });

  it('SPEC §2: an unknown or malformed key in Bearer stays 401 invalid_api_key (a wrong kind needs a real key)', async () => {
    for (const key of [`pk_test_${'A'.repeat(32)}`, 'pk_test_\u00ff']) {
      const response = await server.request('/auth/external/authorize', { json: {}, headers: bearer(key) });
      expect(response.status).toBe(401);
      expect((await response.json()).error).toBe('invalid_api_key');
    }
  });

  it('RFC 6750 §3.1: on the OAuth bearer endpoints a publishable key is an invalid_token whose description names x-client-key', async () => {
    const response = await server.request('/v1/user', { headers: bearer(server.demo.publishableKey) });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_token', error_description: 'a publishable key is not an access token: send it as x-client-key' });
  });
});
