import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { IDENTITY, authorize, exchange } from './helpers/flows.js';
import { startTestServer, type TestServer } from './helpers/server.js';

async function mint(server: TestServer, body: object = IDENTITY): Promise<string> {
  const response = await authorize(server, server.demo, body);
  expect(response.status).toBe(200);
  return (await response.json()).exchangeCode;
}

describeEachEngine('POST /auth/external/exchange', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());

  it('SPEC §5.2: 200 AuthSession, type authenticated, tokens of SPEC §4', async () => {
    const exchangeCode = await mint(server, { ...IDENTITY, subject: 'exchange-ok', claims: { email: 'ok@example.com' } });
    const response = await exchange(server, server.demo, { exchangeCode });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual({
      session: {
        type: 'authenticated',
        consumerId: expect.stringMatching(/^con_[0-9A-Z]{26}$/),
        expiresAt: new Date(server.clock.now() + 3600_000).toISOString(),
        email: 'ok@example.com',
      },
      accessToken: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/),
      refreshToken: expect.stringMatching(/^rt_[\w-]{43}$/),
      refreshTokenTtlSeconds: 2592000,
      beaconToken: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/),
    });
  });

  it('SPEC §5.2: a used code → 400 invalid_exchange_code', async () => {
    const exchangeCode = await mint(server);
    expect((await exchange(server, server.demo, { exchangeCode })).status).toBe(200);
    const again = await exchange(server, server.demo, { exchangeCode });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: 'invalid_exchange_code', message: expect.any(String) });
  });

  it('SPEC §5.2: an unknown code → 400 invalid_exchange_code', async () => {
    const response = await exchange(server, server.demo, { exchangeCode: `exc_${'a'.repeat(43)}` });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe('invalid_exchange_code');
  });

  it('SPEC §5.2: expiry at 60 s (injected clock) → 400 exchange_code_expired; 59 s still works', async () => {
    const early = await mint(server);
    server.clock.advance(59);
    expect((await exchange(server, server.demo, { exchangeCode: early })).status).toBe(200);
    const late = await mint(server);
    server.clock.advance(60);
    const response = await exchange(server, server.demo, { exchangeCode: late });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe('exchange_code_expired');
  });

  it('SPEC §5.1: redemption by another application → 400 invalid_exchange_code, and the code survives', async () => {
    const other = await server.createApp();
    const exchangeCode = await mint(server);
    const stolen = await exchange(server, other, { exchangeCode });
    expect(stolen.status).toBe(400);
    expect((await stolen.json()).error).toBe('invalid_exchange_code');
    expect((await exchange(server, server.demo, { exchangeCode })).status).toBe(200);
  });

  it('SPEC §2: exchange takes x-client-key as the publishable key too', async () => {
    const exchangeCode = await mint(server);
    const response = await server.request('/auth/external/exchange', { json: { exchangeCode }, headers: { 'x-client-key': server.demo.publishableKey } });
    expect(response.status).toBe(200);
  });

  it('SPEC §2: a secret key where the publishable key is needed → 403; nothing → 401; unknown pk → 401', async () => {
    const exchangeCode = await mint(server);
    const withSecret = await server.request('/auth/external/exchange', { json: { exchangeCode }, headers: { authorization: `Bearer ${server.demo.secretKey}` } });
    expect(withSecret.status).toBe(403);
    expect((await withSecret.json()).error).toBe('forbidden');
    const bare = await server.request('/auth/external/exchange', { json: { exchangeCode } });
    expect(bare.status).toBe(401);
    expect((await bare.json()).error).toBe('authentication_required');
    const unknown = await server.request('/auth/external/exchange', { json: { exchangeCode }, headers: { 'x-publishable-key': 'pk_test_nope' } });
    expect(unknown.status).toBe(401);
    expect((await unknown.json()).error).toBe('invalid_api_key');
    // None of the refusals consumed the code.
    expect((await exchange(server, server.demo, { exchangeCode })).status).toBe(200);
  });

  it('SPEC §2: a consumer access token where the publishable key is needed → 403; a bad token → 401', async () => {
    const exchangeCode = await mint(server);
    const session = await (await exchange(server, server.demo, { exchangeCode })).json();
    for (const path of ['/auth/external/exchange', '/auth/refresh']) {
      const withToken = await server.request(path, { json: { exchangeCode, refreshToken: session.refreshToken }, headers: { authorization: `Bearer ${session.accessToken}` } });
      expect(withToken.status).toBe(403);
      expect((await withToken.json()).error).toBe('forbidden');
      const withGarbage = await server.request(path, { json: { exchangeCode }, headers: { authorization: 'Bearer eyJ.garbage.token' } });
      expect(withGarbage.status).toBe(401);
      expect((await withGarbage.json()).error).toBe('authentication_required');
    }
  });

  it('SPEC §3: a malformed body → 400 validation_error that never echoes the code', async () => {
    const exchangeCode = await mint(server);
    const response = await exchange(server, server.demo, { exchangeCode, codeVerifier: 12 });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text).error).toBe('validation_error');
    expect(text).not.toContain(exchangeCode);
    expect(JSON.parse(text).issues[0].path[0].input.exchangeCode).toBe('[redacted]');
  });

  it('SPEC §5.1 browser binding: codeChallenge requires the matching codeVerifier', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const codeChallenge = createHash('sha256').update(verifier).digest('base64url');
    const exchangeCode = await mint(server, { ...IDENTITY, codeChallenge });

    const missing = await exchange(server, server.demo, { exchangeCode });
    expect(missing.status).toBe(400);
    expect((await missing.json()).error).toBe('invalid_code_verifier');
    const wrong = await exchange(server, server.demo, { exchangeCode, codeVerifier: randomBytes(32).toString('base64url') });
    expect(wrong.status).toBe(400);
    expect((await wrong.json()).error).toBe('invalid_code_verifier');
    const right = await exchange(server, server.demo, { exchangeCode, codeVerifier: verifier });
    expect(right.status).toBe(200);
  });

  it('SPEC §4: 50 concurrent redemptions of one code → exactly one 200', async () => {
    const exchangeCode = await mint(server);
    const responses = await Promise.all(Array.from({ length: 50 }, () => exchange(server, server.demo, { exchangeCode })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(49);
    const bodies = await Promise.all(responses.filter((r) => r.status === 400).map((r) => r.json()));
    expect(new Set(bodies.map((b) => b.error))).toEqual(new Set(['invalid_exchange_code']));
  });
});
