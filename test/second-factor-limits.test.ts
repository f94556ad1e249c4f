import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { createPasswordUser } from './helpers/oauth.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { totp } from './helpers/totp.js';

// Review of issue 18: who can spend which budget. The per-person budget of authenticator codes bounds
// guessing six digits from many networks; recovery codes (50 random bits) are bounded per client IP
// instead, so someone who holds the password cannot keep the owner out. Changes to sign-in methods
// are counted per client IP. Client IPs come from X-Forwarded-For behind one trusted proxy.

describeEachEngine('second-factor and account-change limits (SPEC §3, §12)', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine, {
      LATCHKEY_TRUSTED_PROXY_HOPS: '1',
      LATCHKEY_RATE_LIMIT_LOGIN_PER_IP: '7/900',
      LATCHKEY_RATE_LIMIT_ACCOUNT_CHANGES_PER_IP: '4/900',
    });
  });
  afterAll(() => server?.close());

  const from = (ip: string, token?: string) => ({
    'x-forwarded-for': ip, 'x-client-key': server.demo.publishableKey, ...(token ? { authorization: `Bearer ${token}` } : {}),
  });
  const signIn = (ip: string, body: object) => server.request('/v1/auth/login', { json: body, headers: from(ip) });

  /** A password user with a confirmed authenticator app, set up from `ip` (API mode). */
  async function userWithTotp(ip: string) {
    const user = await createPasswordUser(server);
    const token = (await (await signIn(ip, { email: user.email, password: user.password })).json()).accessToken as string;
    const enrollment = await (await server.request('/v1/user/second-factors/totp', { method: 'POST', headers: from(ip, token) })).json();
    const confirmed = await server.request('/v1/user/second-factors/totp/confirm', { json: { totpCode: totp(enrollment.secret, server.clock.now()) }, headers: from(ip, token) });
    expect(confirmed.status).toBe(200);
    return { ...user, token, secret: enrollment.secret as string, recoveryCodes: (await confirmed.json()).recoveryCodes as string[] };
  }

  it('a password holder who spends the person\'s authenticator-code budget cannot keep the owner out: the owner\'s recovery code from another network signs in, and starts the count over', async () => {
    const owner = await userWithTotp('203.0.113.7');
    const attacker = '198.51.100.1';
    const password = { email: owner.email, password: owner.password };
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await signIn(attacker, { ...password, totpCode: totp(owner.secret, server.clock.now(), 7) })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    // Recovery codes from the attacker's network: refused as wrong until its per-IP budget is spent.
    expect((await signIn(attacker, { ...password, recoveryCode: 'aaaaa-bbbbb' })).status).toBe(401);
    const perIp = await signIn(attacker, { ...password, recoveryCode: 'aaaaa-ccccc' });
    expect(perIp.status).toBe(429);
    expect((await perIp.json()).message).toBe('too many sign-in attempts from this network; try again later');
    // The owner's authenticator code is refused meanwhile (the per-person budget is spent) …
    server.clock.advance(30);
    expect((await signIn('203.0.113.7', { ...password, totpCode: totp(owner.secret, server.clock.now()) })).status).toBe(429);
    // … but a recovery code gets them in, and the authenticator app works again after it.
    const recovered = await signIn('203.0.113.7', { ...password, recoveryCode: owner.recoveryCodes[0] });
    expect(recovered.status).toBe(200);
    expect((await recovered.json()).accessToken).toMatch(/^ey/);
    server.clock.advance(30);
    expect((await signIn('203.0.113.8', { ...password, totpCode: totp(owner.secret, server.clock.now()) })).status).toBe(200);
  });

  it('changes to sign-in methods are counted per client IP on both APIs (429 past LATCHKEY_RATE_LIMIT_ACCOUNT_CHANGES_PER_IP); reading them is not', async () => {
    const user = await createPasswordUser(server);
    const ip = '192.0.2.10';
    const token = (await (await signIn(ip, { email: user.email, password: user.password })).json()).accessToken as string;
    const options = () => server.request('/v1/user/passkeys/registration/options', { method: 'POST', headers: from(ip, token) });
    expect((await options()).status).toBe(200);
    expect((await options()).status).toBe(200);
    expect((await server.request('/v1/user/second-factors/totp', { method: 'POST', headers: from(ip, token) })).status).toBe(200);
    expect((await server.request('/v1/user/passkeys', { headers: from(ip, token) })).status).toBe(200);
    expect((await server.request('/v1/user/second-factors', { headers: from(ip, token) })).status).toBe(200);
    expect((await options()).status).toBe(200);
    const refused = await server.request('/v1/user/second-factors/totp', { method: 'POST', headers: from(ip, token) });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ error: 'rate_limit_exceeded', message: 'too many changes to sign-in methods from this network; try again later', retryAfter: expect.any(Number) });
    expect((await options()).status).toBe(429);
    // Another network still may.
    expect((await server.request('/v1/user/passkeys/registration/options', { method: 'POST', headers: from('192.0.2.11', token) })).status).toBe(200);
  });
});
