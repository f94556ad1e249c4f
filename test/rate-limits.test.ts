import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/observability/logger.js';
import { RateLimited } from '../src/protocol/errors.js';
import { createRateLimits } from '../src/storage/rate-limits.js';
import { describeEachEngine } from './helpers/engines.js';
import { IDENTITY, authorize } from './helpers/flows.js';
import { createPasswordUser } from './helpers/oauth.js';
import { latestCode, requestOtp, verifyOtp } from './helpers/otp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** SPEC §3: 429 body and the four headers. */
async function expectRateLimited(response: Response): Promise<void> {
  expect(response.status).toBe(429);
  const body = await response.json();
  expect(body).toEqual({ error: 'rate_limit_exceeded', message: expect.any(String), retryAfter: expect.any(Number) });
  expect(body.retryAfter).toBeGreaterThan(0);
  expect(response.headers.get('retry-after')).toBe(String(body.retryAfter));
  expect(Number(response.headers.get('x-ratelimit-limit'))).toBeGreaterThan(0);
  expect(response.headers.get('x-ratelimit-remaining')).toBe('0');
  expect(Number(response.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
  expect(response.headers.get('x-request-id')).toBeTruthy();
}

// The limits are memory counters on real time, so these tests use small limits instead of a clock.
describeEachEngine('rate limits (issue 3)', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine, {
      LATCHKEY_RATE_LIMIT_GUEST_PER_IP: '2/3600',
      LATCHKEY_RATE_LIMIT_OTP_REQUEST_PER_IP: '3/3600',
      LATCHKEY_RATE_LIMIT_OTP_REQUEST_PER_DESTINATION: '2/3600',
      LATCHKEY_RATE_LIMIT_OTP_VERIFY_PER_DESTINATION: '3/600',
      LATCHKEY_RATE_LIMIT_EXTERNAL_AUTHORIZE_PER_APPLICATION: '3/60',
      LATCHKEY_TRUSTED_PROXY_HOPS: '1',
    });
  });
  afterAll(() => server?.close());

  const asClient = (ip: string) => ({ 'x-forwarded-for': `198.51.100.7, ${ip}` });

  it('guest creation per IP', async () => {
    const create = (ip: string) => server.request('/auth/guest', { method: 'POST', headers: { 'x-publishable-key': server.demo.publishableKey, ...asClient(ip) } });
    expect((await create('203.0.113.1')).status).toBe(200);
    expect((await create('203.0.113.1')).status).toBe(200);
    await expectRateLimited(await create('203.0.113.1'));
    // Another client is not affected; the left, client-written part of X-Forwarded-For is ignored.
    expect((await create('203.0.113.2')).status).toBe(200);
  });

  it('OTP request per IP and per destination', async () => {
    const ip = asClient('203.0.113.10');
    expect((await requestOtp(server, { email: 'a@example.com' }, server.demo, ip)).status).toBe(200);
    server.clock.advance(61);
    expect((await requestOtp(server, { email: 'a@example.com' }, server.demo, ip)).status).toBe(200);
    server.clock.advance(61);
    // Third for this destination: over 2/3600.
    await expectRateLimited(await requestOtp(server, { email: 'a@example.com' }, server.demo, asClient('203.0.113.11')));
    // Per IP: the third request from .10 is the limit, the fourth is over.
    expect((await requestOtp(server, { email: 'b@example.com' }, server.demo, ip)).status).toBe(200);
    await expectRateLimited(await requestOtp(server, { email: 'c@example.com' }, server.demo, ip));
  });

  it('issue 11.6: quick refused requests for an address are charged to the caller\'s IP, never to the address', async () => {
    const victim = 'lockout-victim@example.com';
    const attacker = asClient('203.0.113.30');
    expect((await requestOtp(server, { email: victim }, server.demo, attacker)).status).toBe(200);
    // Inside the cooldown: refused, and the address's budget (2/3600) is untouched.
    for (let i = 0; i < 2; i++) {
      const refused = await requestOtp(server, { email: victim }, server.demo, attacker);
      expect(refused.status).toBe(429);
      expect((await refused.json()).message).toContain('less than 60 seconds ago');
    }
    // The attacker's network is what runs out (3/3600).
    const limited = await requestOtp(server, { email: victim }, server.demo, attacker);
    await expectRateLimited(limited.clone());
    expect((await limited.json()).message).toBe('too many code requests from this network; try again later');
    // After the cooldown the victim still gets a code, and it signs them in.
    server.clock.advance(61);
    expect((await requestOtp(server, { email: victim }, server.demo, asClient('203.0.113.31'))).status).toBe(200);
    expect((await verifyOtp(server, { email: victim, code: await latestCode(server, victim) })).status).toBe(200);
  });

  it('issue 11.6: second-factor resends refused by the cooldown count against the caller\'s IP', async () => {
    const user = await createPasswordUser(server, { phone: '+14155550163' });
    const send = () => server.request('/v1/auth/login/otp', { json: { userId: user.id }, headers: { 'x-client-key': server.demo.publishableKey, ...asClient('203.0.113.40') } });
    for (let i = 0; i < 3; i++) expect((await send()).status).toBe(200);
    await expectRateLimited(await send());
    expect(await server.server.runtime.store.listDevMessages({ recipient: '+14155550163' })).toHaveLength(1);
  });

  it('SPEC §5.4: too many verification attempts → 429', async () => {
    const email = 'verify-limit@example.com';
    await requestOtp(server, { email }, server.demo, asClient('203.0.113.20'));
    for (let i = 0; i < 3; i++) expect((await verifyOtp(server, { email, code: '000000' })).status).toBe(401);
    await expectRateLimited(await verifyOtp(server, { email, code: '000000' }));
  });

  it('external authorize per application', async () => {
    for (let i = 0; i < 3; i++) expect((await authorize(server, server.demo, IDENTITY)).status).toBe(200);
    await expectRateLimited(await authorize(server, server.demo, IDENTITY));
    const other = await server.createApp();
    expect((await authorize(server, other, IDENTITY)).status).toBe(200);
  });
});

describe('check and charge (issue 11.6)', () => {
  it('issue 11.6: check never takes a point and refuses once charges used the budget; charge never refuses', async () => {
    const rule = { points: 2, durationSeconds: 3600 };
    const settings = Object.fromEntries(
      ['otpRequestPerDestination', 'otpRequestPerIp', 'otpVerifyPerDestination', 'guestPerIp', 'externalAuthorizePerApplication', 'loginPerIp', 'loginFailuresPerAccount', 'secondFactorPerConsumer'].map((name) => [name, rule]),
    ) as Parameters<typeof createRateLimits>[0];
    const limits = await createRateLimits(settings, { logger: createLogger('silent') });
    for (let i = 0; i < 10; i++) await limits.check('otpRequestPerDestination', 'org:a@example.com');
    await limits.charge('otpRequestPerDestination', 'org:a@example.com');
    await limits.check('otpRequestPerDestination', 'org:a@example.com');
    await limits.charge('otpRequestPerDestination', 'org:a@example.com');
    await expect(limits.check('otpRequestPerDestination', 'org:a@example.com')).rejects.toBeInstanceOf(RateLimited);
    await limits.charge('otpRequestPerDestination', 'org:a@example.com');
    await limits.check('otpRequestPerDestination', 'org:b@example.com');
    await limits.close();
  });
});
