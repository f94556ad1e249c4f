import { createHash, randomBytes } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hashSecret } from '../src/crypto/hash.js';
import { openStore, type SqlStore } from '../src/storage/sql-store.js';
import { createTestDatabase, type TestDatabase } from './helpers/engines.js';
import { cliJson, startInstance, type Instance } from './helpers/instances.js';
import { hasRedisServer, startPrivateRedis } from './helpers/redis.js';
import { MIGRATION_NAMES } from '../src/storage/migrate.js';

const hasPostgres = inject('postgresUrl') !== null;
if (!hasPostgres) process.stderr.write('\n  NOTICE: the multi-instance suite needs PostgreSQL — SKIPPED.\n\n');

/** Spreads `count` requests over the instances, all at once; returns the statuses. */
async function burst(instances: Instance[], count: number, request: (base: string) => Promise<Response>): Promise<number[]> {
  const responses = await Promise.all(Array.from({ length: count }, (_, i) => request(instances[i % instances.length]!.url)));
  return responses.map((r) => r.status);
}

describe.skipIf(!hasPostgres || !hasRedisServer())('three instances on one PostgreSQL and one Redis (issue 6)', () => {
  let database: TestDatabase;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let env: Record<string, string>;
  let instances: Instance[];
  let demo: { publishableKey: string; secretKey: string };
  let store: SqlStore;
  const issuer = 'http://127.0.0.1:4999';

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    redis = await startPrivateRedis();
    env = {
      LATCHKEY_DATABASE_URL: database.url,
      LATCHKEY_SECRET: randomBytes(32).toString('base64url'),
      LATCHKEY_REDIS_URL: redis.url,
      // One issuer for all, as behind a load balancer.
      LATCHKEY_ISSUER: issuer,
      LATCHKEY_KEY_CACHE_SECONDS: '1',
      LATCHKEY_RATE_LIMIT_GUEST_PER_IP: '3/3600',
      LATCHKEY_RATE_LIMIT_EXTERNAL_AUTHORIZE_PER_APPLICATION: '100000/60',
      LATCHKEY_RATE_LIMIT_LOGIN_PER_IP: '100000/60',
      LATCHKEY_TRUSTED_PROXY_HOPS: '1',
    };
    // Three instances start at once on an empty database: migrations and first-start bootstrap race.
    instances = await Promise.all([startInstance(env), startInstance(env), startInstance(env)]);
    const banners = instances.map((i) => i.stdout()).filter((out) => out.includes('First start'));
    expect(banners).toHaveLength(1);
    // …and agree on one first signing key per algorithm (EdDSA, and RS256 for ID tokens).
    const jwks = await Promise.all(
      instances.map(async (i) => ((await (await fetch(`${i.url}/.well-known/jwks.json`)).json()).keys as Array<{ kid: string; alg: string }>).map((k) => `${k.alg}:${k.kid}`).sort()),
    );
    expect(jwks[0]!.map((k) => k.split(':')[0])).toEqual(['EdDSA', 'RS256']);
    expect(jwks[1]).toEqual(jwks[0]);
    expect(jwks[2]).toEqual(jwks[0]);
    demo = {
      publishableKey: /publishable key\s+(pk_test_\S+)/.exec(banners[0]!)![1]!,
      secretKey: /secret key\s+(sk_test_\S+)/.exec(banners[0]!)![1]!,
    };
    store = await openStore(database.url, { migrate: false });
  }, 60_000);

  afterAll(async () => {
    await Promise.all((instances ?? []).map((i) => i.stop()));
    await store?.close();
    await redis?.stop();
    await database?.drop();
  });

  const mint = async (base: string, subject: string) =>
    (await (await fetch(`${base}/auth/external/authorize`, {
      method: 'POST', headers: { authorization: `Bearer ${demo.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'shop', issuer: 'https://shop.example', subject }),
    })).json()).exchangeCode as string;
  const exchange = (base: string, exchangeCode: string) =>
    fetch(`${base}/auth/external/exchange`, { method: 'POST', headers: { 'x-publishable-key': demo.publishableKey, 'content-type': 'application/json' }, body: JSON.stringify({ exchangeCode }) });

  it('migrations ran exactly once while three instances started together', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query('select name from kysely_migration order by name');
    await client.end();
    // Each migration once: a second run would have left a second row of its name.
    expect(rows.map((r: { name: string }) => r.name)).toEqual([...MIGRATION_NAMES]);
  });

  it('300 concurrent redemptions of one exchange code through all three → exactly one 200', async () => {
    const code = await mint(instances[0]!.url, 'multi-exchange');
    const statuses = await burst(instances, 300, (base) => exchange(base, code));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(299);
  });

  it('300 concurrent redemptions of one authorization code → exactly one 200', async () => {
    const app = await cliJson(env, ['apps', 'create', '--name', 'multi', '--redirect-uri', 'https://client.example/cb', '--scope', 'profile']);
    const user = await cliJson(env, ['users', 'create', '--email', 'multi@example.com', '--password', 'a long password']);
    expect(user.id).toMatch(/^con_/);
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const base = instances[1]!.url;
    const query = new URLSearchParams({ response_type: 'code', client_id: app.publishableKey, redirect_uri: 'https://client.example/cb', state: 'multi-state-1', code_challenge: challenge, code_challenge_method: 'S256', scope: 'profile', mode: 'api' });
    const { token } = await (await fetch(`${base}/v1/auth/oauth/authorize/initiate?${query}`)).json();
    const login = await (await fetch(`${base}/v1/auth/login`, { method: 'POST', headers: { 'x-client-key': app.publishableKey, 'content-type': 'application/json' }, body: JSON.stringify({ email: 'multi@example.com', password: 'a long password' }) })).json();
    const { code } = await (await fetch(`${base}/v1/auth/oauth/authorize`, { method: 'POST', headers: { 'x-client-key': app.publishableKey, authorization: `Bearer ${login.accessToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ token }) })).json();
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'https://client.example/cb', code_verifier: verifier }).toString();
    const basic = `Basic ${Buffer.from(`${app.publishableKey}:${app.secretKey}`).toString('base64')}`;
    const statuses = await burst(instances, 300, (url) => fetch(`${url}/v1/auth/oauth/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body }));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(299);
  });

  it('a replayed refresh token outside the reuse window revokes the family on every instance', async () => {
    const session = await (await exchange(instances[0]!.url, await mint(instances[0]!.url, 'multi-refresh'))).json();
    const refresh = (base: string, refreshToken: string) =>
      fetch(`${base}/auth/refresh`, { method: 'POST', headers: { 'x-publishable-key': demo.publishableKey, 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }) });
    const rotated = await (await refresh(instances[1]!.url, session.refreshToken)).json();
    expect(rotated.refreshToken).toMatch(/^rt_/);
    // Leave the 10-second reuse window (the instances run on the real clock).
    await new Promise((resolve) => setTimeout(resolve, 10_500));
    const statuses = await burst(instances, 300, (base) => refresh(base, session.refreshToken));
    expect(new Set(statuses)).toEqual(new Set([401]));
    for (const instance of instances) {
      expect((await refresh(instance.url, rotated.refreshToken)).status).toBe(401);
      expect((await fetch(`${instance.url}/consumers/me`, { headers: { authorization: `Bearer ${rotated.accessToken}` } })).status).toBe(401);
    }
  }, 60_000);

  it('SPEC §10: a consumer disabled through one instance\'s admin API — its live access and refresh tokens stop at once on every instance', async () => {
    const { token } = await cliJson(env, ['admin-tokens', 'create', '--name', 'multi-instance', '--all-orgs']);
    const session = await (await exchange(instances[0]!.url, await mint(instances[0]!.url, 'multi-disable'))).json();
    const me = await (await fetch(`${instances[2]!.url}/consumers/me`, { headers: { authorization: `Bearer ${session.accessToken}` } })).json();
    const disabled = await fetch(`${instances[1]!.adminUrl}/admin/v1/consumers/${me.id}/disable`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(disabled.status).toBe(200);
    for (const instance of instances) {
      expect((await fetch(`${instance.url}/consumers/me`, { headers: { authorization: `Bearer ${session.accessToken}` } })).status).toBe(401);
      const refreshed = await fetch(`${instance.url}/auth/refresh`, {
        method: 'POST', headers: { 'x-publishable-key': demo.publishableKey, 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: session.refreshToken }),
      });
      expect(refreshed.status).toBe(401);
    }
  });

  it('a rate limit reached through one instance holds on the others (Redis)', async () => {
    const guest = (base: string) => fetch(`${base}/auth/guest`, { method: 'POST', headers: { 'x-publishable-key': demo.publishableKey, 'x-forwarded-for': '198.51.100.99' } });
    for (let i = 0; i < 3; i++) expect((await guest(instances[0]!.url)).status).toBe(200);
    expect((await guest(instances[1]!.url)).status).toBe(429);
    expect((await guest(instances[2]!.url)).status).toBe(429);
  });

  it('a key rotated through one instance signs and verifies everywhere after the cache delay', async () => {
    const before = await (await exchange(instances[0]!.url, await mint(instances[0]!.url, 'multi-keys-before'))).json();
    const rotated = await cliJson(env, ['keys', 'rotate']);
    // Published before any instance signs with it: right after rotating, every instance still signs
    // with the old key; after one cache period (1 s) every instance lists the new one.
    const early = await (await exchange(instances[2]!.url, await mint(instances[2]!.url, 'multi-keys-early'))).json();
    expect(decodeProtectedHeader(early.accessToken).kid).toBe(decodeProtectedHeader(before.accessToken).kid);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    for (const instance of instances) {
      const kids = (await (await fetch(`${instance.url}/.well-known/jwks.json`)).json()).keys.map((k: { kid: string }) => k.kid);
      expect(kids).toContain(rotated.kid);
    }
    // LATCHKEY_KEY_CACHE_SECONDS=1: signing starts two cache periods after publication.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = await (await exchange(instances[1]!.url, await mint(instances[1]!.url, 'multi-keys-after'))).json();
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(rotated.kid);
    for (const instance of instances) {
      for (const token of [before.accessToken, after.accessToken]) {
        expect((await fetch(`${instance.url}/consumers/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      }
      const kids = (await (await fetch(`${instance.url}/.well-known/jwks.json`)).json()).keys.map((k: { kid: string }) => k.kid);
      expect(kids).toContain(rotated.kid);
    }
  });

  it('issue 13 / issue 6: SIGTERM under load — requests in flight when the signal lands are answered, every 2xx has its effect in the database, and the exit is clean', async () => {
    const victim = await startInstance(env);
    let answered = 0;
    let firstAnswer!: () => void;
    const serving = new Promise<void>((resolve) => (firstAnswer = resolve));
    const requests = Array.from({ length: 200 }, (_, i) =>
      fetch(`${victim.url}/auth/external/authorize`, {
        method: 'POST', headers: { authorization: `Bearer ${demo.secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'shop', issuer: 'https://shop.example', subject: `sigterm-${i}` }),
      }).then(
        async (r) => {
          answered++;
          firstAnswer();
          // A response produced while draining carries `Connection: close` (src/http/drain.ts).
          return { status: r.status, afterSignal: r.headers.get('connection') === 'close', body: r.status === 200 ? await r.json() : undefined };
        },
        () => ({ status: 0, afterSignal: true, body: undefined }),
      ),
    );
    // The signal lands once the instance is answering this load (not after a guessed delay)…
    await serving;
    const exit = victim.stop('SIGTERM');
    // …while most of it is still outstanding.
    expect(answered).toBeLessThan(200);
    const results = await Promise.all(requests);
    expect(await exit).toBe(0);
    const succeeded = results.filter((r) => r.status === 200);
    // Proof that requests were in flight inside the server when the signal landed: it answered some
    // of them 200 after it had started draining.
    expect(succeeded.filter((r) => r.afterSignal).length, 'no 200 was answered after SIGTERM').toBeGreaterThan(0);
    for (const { body } of succeeded) {
      expect(await store.findExchangeCode(hashSecret(body.exchangeCode)), 'an answered code must be stored').toBeDefined();
    }
  }, 60_000);
});
