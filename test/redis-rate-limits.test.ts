import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, startPrivateRedis } from './helpers/redis.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const guest = (server: TestServer, pk: string, ip: string) =>
  server.request('/auth/guest', { method: 'POST', headers: { 'x-publishable-key': pk, 'x-forwarded-for': ip } });

/**
 * Waits until `check` holds: real time, since Redis reconnects on its own schedule. No deadline of
 * its own — the test's timeout bounds the wait, so a slow machine is not a failure.
 */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 100));
}

/**
 * How long a request may take while Redis does not answer: src/storage/rate-limits.ts gives each
 * command 500 ms (commandTimeout) and one retry, so a request that touches a limit waits at most about
 * a second on Redis. Five times that is "did not hang", even on a loaded machine; a client left
 * waiting for Redis (no command timeout) would hold the request for the whole test timeout.
 */
const NOT_HUNG_MS = 5 * 2 * 500;

describe.skipIf(!hasRedisServer())('rate limits in Redis (SPEC §8)', () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let a: TestServer;
  let b: TestServer;
  let closed: TestServer;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    const env = { LATCHKEY_REDIS_URL: redis.url, LATCHKEY_RATE_LIMIT_GUEST_PER_IP: '2/3600', LATCHKEY_TRUSTED_PROXY_HOPS: '1' };
    a = await startTestServer('sqlite', env);
    b = await startTestServer('sqlite', env);
    closed = await startTestServer('sqlite', { ...env, LATCHKEY_REDIS_FAILURE_MODE: 'closed' });
    await eventually(async () => (await (await a.request('/readyz')).json()).checks.rateLimits === 'redis');
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), closed?.close()]);
    await redis?.stop();
  });

  it('a limit reached through one instance holds on another', async () => {
    expect((await guest(a, a.demo.publishableKey, '203.0.113.50')).status).toBe(200);
    expect((await guest(a, a.demo.publishableKey, '203.0.113.50')).status).toBe(200);
    const third = await guest(b, b.demo.publishableKey, '203.0.113.50');
    expect(third.status).toBe(429);
    expect(third.headers.get('x-ratelimit-limit')).toBe('2');
  });

  it('issue 11.6: with Redis too, only an issued code counts against the address (default 5/3600)', async () => {
    const email = 'redis-lockout-victim@example.com';
    const ask = (ip: string) => a.request('/auth/otp/request', { json: { email }, headers: { 'x-publishable-key': a.demo.publishableKey, 'x-forwarded-for': ip } });
    expect((await ask('203.0.113.80')).status).toBe(200);
    for (let i = 1; i <= 6; i++) expect((await ask(`203.0.113.8${i}`)).status).toBe(429);
    a.clock.advance(61);
    expect((await ask('203.0.113.90')).status).toBe(200);
  });

  it('Redis stopped: serving continues on per-instance limits (memory mode), or refuses with 503 (closed mode); both say so', async () => {
    await redis.stop();
    await eventually(async () => (await (await a.request('/readyz')).json()).checks.rateLimits !== 'redis');
    const ready = await a.request('/readyz');
    expect(ready.status).toBe(200);
    expect((await ready.json()).checks.rateLimits).toBe('redis-unavailable (memory fallback)');
    // Per-instance limits still hold: the third request from one address is refused.
    expect((await guest(a, a.demo.publishableKey, '203.0.113.60')).status).toBe(200);
    expect((await guest(a, a.demo.publishableKey, '203.0.113.60')).status).toBe(200);
    expect((await guest(a, a.demo.publishableKey, '203.0.113.60')).status).toBe(429);
    await eventually(async () => a.logLines.some((line) => line.includes('redis unreachable')));

    const refused = await guest(closed, closed.demo.publishableKey, '203.0.113.61');
    expect(refused.status).toBe(503);
    // Reported, but still ready: the whole fleet shares this Redis (docs/deployment.md).
    const closedReady = await closed.request('/readyz');
    expect(closedReady.status).toBe(200);
    expect((await closedReady.json()).checks.rateLimits).toBe('redis-unavailable (refusing)');
    // Endpoints without limits keep working.
    expect((await closed.request('/.well-known/jwks.json')).status).toBe(200);

    redis = await startPrivateRedis(redis.port);
    await eventually(async () => (await (await a.request('/readyz')).json()).checks.rateLimits === 'redis');
    await eventually(async () => (await (await closed.request('/readyz')).json()).checks.rateLimits === 'redis');
    expect((await guest(closed, closed.demo.publishableKey, '203.0.113.62')).status).toBe(200);
  });

  it('a Redis that stops answering (SIGSTOP) neither hangs requests nor passes for healthy', async () => {
    redis.pause();
    try {
      const within = { signal: AbortSignal.timeout(NOT_HUNG_MS) };
      const response = await a.request('/auth/guest', { method: 'POST', headers: { 'x-publishable-key': a.demo.publishableKey, 'x-forwarded-for': '203.0.113.70' }, ...within });
      expect(response.status).toBe(200);
      expect((await (await a.request('/readyz', { signal: AbortSignal.timeout(NOT_HUNG_MS) })).json()).checks.rateLimits).toBe('redis-unavailable (memory fallback)');
      const refused = await closed.request('/auth/guest', {
        method: 'POST', headers: { 'x-publishable-key': closed.demo.publishableKey, 'x-forwarded-for': '203.0.113.71' }, signal: AbortSignal.timeout(NOT_HUNG_MS),
      });
      expect(refused.status).toBe(503);
    } finally {
      redis.resume();
    }
    await eventually(async () => (await (await a.request('/readyz')).json()).checks.rateLimits === 'redis');
  });
});
