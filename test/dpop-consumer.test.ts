import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dpopKey, dpopProof, type DpopKey } from './helpers/dpop.js';
import { describeEachEngine } from './helpers/engines.js';
import { authorize, IDENTITY } from './helpers/flows.js';
import { latestCode, requestOtp } from './helpers/otp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// SPEC §13: consumer sessions bound to a DPoP key (RFC 9449 §5, §7.1). Proofs are made with jose
// here (test/helpers/dpop.ts), independent of Latchkey's own proof checks.
describeEachEngine('RFC 9449 DPoP-bound consumer sessions (SPEC §13)', (engine) => {
  let server: TestServer;
  let key: DpopKey;
  const url = (path: string) => `${server.url}${path}`;
  const publishable = () => ({ 'x-publishable-key': server.demo.publishableKey });

  beforeAll(async () => {
    server = await startTestServer(engine);
    key = await dpopKey();
  });
  afterAll(() => server?.close());

  async function boundGuest(k: DpopKey = key) {
    const response = await server.request('/auth/guest', { method: 'POST', headers: { ...publishable(), dpop: await dpopProof(k, 'POST', url('/auth/guest')) } });
    expect(response.status).toBe(200);
    return response.json();
  }
  const me = async (accessToken: string, headers: Record<string, string>) => server.request('/consumers/me', { headers: { authorization: `DPoP ${accessToken}`, ...headers } });

  it('RFC 9449 §6.1: /auth/guest with a DPoP header → an access token with cnf.jkt', async () => {
    const session = await boundGuest();
    expect(decodeJwt(session.accessToken).cnf).toEqual({ jkt: key.jkt });
  });

  it('RFC 9449 §6.1: /auth/external/exchange and /auth/otp/verify with a DPoP header → bound sessions', async () => {
    const minted = await (await authorize(server, server.demo, { ...IDENTITY, subject: 'dpop-exchange' })).json();
    const exchanged = await server.request('/auth/external/exchange', {
      json: { exchangeCode: minted.exchangeCode }, headers: { ...publishable(), dpop: await dpopProof(key, 'POST', url('/auth/external/exchange')) },
    });
    expect(exchanged.status).toBe(200);
    expect(decodeJwt((await exchanged.json()).accessToken).cnf).toEqual({ jkt: key.jkt });

    const email = 'dpop-otp@example.com';
    expect((await requestOtp(server, { email })).status).toBe(200);
    const verified = await server.request('/auth/otp/verify', {
      json: { email, code: await latestCode(server, email) }, headers: { ...publishable(), dpop: await dpopProof(key, 'POST', url('/auth/otp/verify')) },
    });
    expect(verified.status).toBe(200);
    expect(decodeJwt((await verified.json()).accessToken).cnf).toEqual({ jkt: key.jkt });
  });

  it('RFC 9449 §7.1: /consumers/me takes a bound token as Authorization: DPoP with a proof by its key (ath, htm, htu)', async () => {
    const session = await boundGuest();
    const response = await me(session.accessToken, { dpop: await dpopProof(key, 'GET', url('/consumers/me'), { accessToken: session.accessToken }) });
    expect(response.status).toBe(200);
    expect((await response.json()).id).toBe(session.session.consumerId);
  });

  describe('RFC 9449 §7.1: refusals at /consumers/me (401 with a DPoP challenge)', () => {
    let session: { accessToken: string };
    beforeAll(async () => {
      session = await boundGuest();
    });
    const cases: Array<[string, () => Promise<Record<string, string>>, string, string]> = [
      ['§7.2: the bound token as a Bearer token', async () => ({ authorization: `Bearer ${session.accessToken}` }), 'invalid_token', 'this access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof'],
      ['no proof', async () => ({}), 'invalid_dpop_proof', 'a DPoP proof is required with a DPoP-bound access token'],
      ['§4.3 check 10: no ath', async () => ({ dpop: await dpopProof(key, 'GET', url('/consumers/me')) }), 'invalid_dpop_proof', 'the DPoP proof\'s ath does not match the access token'],
      ['§4.3 check 9: htu of another endpoint', async () => ({ dpop: await dpopProof(key, 'GET', url('/auth/logout'), { accessToken: session.accessToken }) }), 'invalid_dpop_proof', 'the DPoP proof\'s htu is not the URL of this request'],
      ['§4.3 check 8: htm POST for a GET', async () => ({ dpop: await dpopProof(key, 'POST', url('/consumers/me'), { accessToken: session.accessToken }) }), 'invalid_dpop_proof', 'the DPoP proof\'s htm is not the method of this request'],
      ['a proof by another key', async () => ({ dpop: await dpopProof(await dpopKey(), 'GET', url('/consumers/me'), { accessToken: session.accessToken }) }), 'invalid_token', 'the DPoP proof is by another key than the access token\'s'],
    ];
    for (const [title, headers, error, message] of cases) {
      it(`${title} → 401 ${error}`, async () => {
        const response = await me(session.accessToken, await headers());
        expect(response.status).toBe(401);
        expect(await response.json()).toEqual({ error, message });
        expect(response.headers.get('www-authenticate')).toContain(`DPoP realm="latchkey", error="${error}"`);
      });
    }

    it('RFC 9449 §11.1: a replayed proof → 401 invalid_dpop_proof', async () => {
      const proof = await dpopProof(key, 'GET', url('/consumers/me'), { accessToken: session.accessToken });
      expect((await me(session.accessToken, { dpop: proof })).status).toBe(200);
      const replay = await me(session.accessToken, { dpop: proof });
      expect(replay.status).toBe(401);
      expect(await replay.json()).toEqual({ error: 'invalid_dpop_proof', message: 'the DPoP proof was already used (jti)' });
    });

    it('an unbound session\'s token under the DPoP scheme → 401 invalid_token', async () => {
      const unbound = await (await server.request('/auth/guest', { method: 'POST', headers: publishable() })).json();
      const response = await me(unbound.accessToken, {});
      expect(response.status).toBe(401);
      expect((await response.json()).error).toBe('invalid_token');
    });
  });

  it('RFC 9449 §5: /auth/refresh of a bound session needs a proof by its key; refusals leave the token usable', async () => {
    const session = await boundGuest();
    const refresh = async (headers: Record<string, string>) => server.request('/auth/refresh', { json: { refreshToken: session.refreshToken }, headers: { ...publishable(), ...headers } });

    const bare = await refresh({});
    expect(bare.status).toBe(400);
    expect(await bare.json()).toEqual({ error: 'invalid_dpop_proof', message: 'this refresh token is bound to a DPoP key: send a DPoP proof by that key' });
    const thief = await refresh({ dpop: await dpopProof(await dpopKey(), 'POST', url('/auth/refresh')) });
    expect(thief.status).toBe(400);
    expect(await thief.json()).toEqual({ error: 'invalid_dpop_proof', message: 'this refresh token is bound to another DPoP key' });
    const wrongUrl = await refresh({ dpop: await dpopProof(key, 'POST', url('/auth/guest')) });
    expect(wrongUrl.status).toBe(400);
    expect((await wrongUrl.json()).error).toBe('invalid_dpop_proof');

    const refreshed = await refresh({ dpop: await dpopProof(key, 'POST', url('/auth/refresh')) });
    expect(refreshed.status).toBe(200);
    expect(decodeJwt((await refreshed.json()).accessToken).cnf).toEqual({ jkt: key.jkt });
  });

  it('RFC 9449 §5: a session started without DPoP is bound by its first refresh with a proof — no later refresh falls back to Bearer', async () => {
    const unbound = await (await server.request('/auth/guest', { method: 'POST', headers: publishable() })).json();
    const refresh = async (refreshToken: string, headers: Record<string, string>) =>
      server.request('/auth/refresh', { json: { refreshToken }, headers: { ...publishable(), ...headers } });
    const bound = await refresh(unbound.refreshToken, { dpop: await dpopProof(key, 'POST', url('/auth/refresh')) });
    expect(bound.status).toBe(200);
    const tokens = await bound.json();
    expect(decodeJwt(tokens.accessToken).cnf).toEqual({ jkt: key.jkt });
    const bare = await refresh(tokens.refreshToken, {});
    expect(bare.status).toBe(400);
    expect(await bare.json()).toEqual({ error: 'invalid_dpop_proof', message: 'this refresh token is bound to a DPoP key: send a DPoP proof by that key' });
    const other = await refresh(tokens.refreshToken, { dpop: await dpopProof(await dpopKey(), 'POST', url('/auth/refresh')) });
    expect(other.status).toBe(400);
    expect((await refresh(tokens.refreshToken, { dpop: await dpopProof(key, 'POST', url('/auth/refresh')) })).status).toBe(200);
  });

  it('RFC 9449 §4.3: a bad proof when starting a session → 400 invalid_dpop_proof (consumer API shape)', async () => {
    const response = await server.request('/auth/guest', { method: 'POST', headers: { ...publishable(), dpop: await dpopProof(key, 'GET', url('/auth/guest')) } });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_dpop_proof', message: 'the DPoP proof\'s htm is not the method of this request' });
  });

  it('SPEC §13: an application that requires DPoP refuses to start a session without a proof', async () => {
    const app = await server.createApp();
    await server.server.runtime.deps.store.updateApplication(app.id, { requireDpop: true });
    const response = await server.request('/auth/guest', { method: 'POST', headers: { 'x-publishable-key': app.publishableKey } });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_dpop_proof', message: 'this application requires a DPoP proof (DPoP header) to start or refresh a session' });
  });

  it('SPEC §5.4 with RFC 9449: a bound guest is linked at OTP verify with one proof that carries its token\'s ath; the new session is bound too', async () => {
    const guest = await boundGuest();
    const email = 'dpop-link@example.com';
    expect((await requestOtp(server, { email })).status).toBe(200);
    const verified = await server.request('/auth/otp/verify', {
      json: { email, code: await latestCode(server, email) },
      headers: { ...publishable(), authorization: `DPoP ${guest.accessToken}`, dpop: await dpopProof(key, 'POST', url('/auth/otp/verify'), { accessToken: guest.accessToken }) },
    });
    expect(verified.status).toBe(200);
    const body = await verified.json();
    expect(body.session.consumerId).toBe(guest.session.consumerId);
    expect(decodeJwt(body.accessToken).cnf).toEqual({ jkt: key.jkt });
  });
});
