import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHousekeeping } from '../src/flows/housekeeping.js';
import { DEFAULT_ORGANIZATION_SETTINGS } from '../src/protocol/lifetimes.js';
import { openDatabase } from '../src/storage/database.js';
import { describeEachEngine } from './helpers/engines.js';
import { IDENTITY, refresh, signIn } from './helpers/flows.js';
import { latestCode, requestOtp, verifyOtp } from './helpers/otp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const TABLES = ['exchange_codes', 'otp_codes', 'refresh_tokens', 'sessions', 'dev_outbox'] as const;

describeEachEngine('housekeeping (issue 6)', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    // The rate limiters count real time, not the test clock: high limits for 45 simulated days.
    server = await startTestServer(engine, { LATCHKEY_HOUSEKEEPING_INTERVAL_SECONDS: '0', LATCHKEY_RATE_LIMIT_OTP_REQUEST_PER_IP: '10000/60', LATCHKEY_RATE_LIMIT_OTP_VERIFY_PER_DESTINATION: '10000/60' });
  });
  afterAll(() => server?.close());

  async function counts(): Promise<Record<(typeof TABLES)[number], number>> {
    const { db } = openDatabase(server.server.runtime.config.databaseUrl);
    try {
      const result = {} as Record<(typeof TABLES)[number], number>;
      for (const table of TABLES) {
        const row = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(db);
        result[table] = Number(row.rows[0]!.n);
      }
      return result;
    } finally {
      await db.destroy();
    }
  }

  const housekeep = () => runHousekeeping(server.server.runtime.deps, { batchSize: 7, maxBatches: 20, leaseMs: 60_000 });

  it('issue 13: under steady load the tables stop growing, to exactly what the purge rules keep; what replay detection needs stays', async () => {
    let snapshot: Awaited<ReturnType<typeof counts>> | undefined;
    const days = 45;
    for (let day = 1; day <= days; day++) {
      // A day of traffic: two sign-ins (one refreshed, one logged out), an OTP sign-in, a stray code.
      const kept = await signIn(server, server.demo, { ...IDENTITY, subject: `hk-${day}-a` });
      await refresh(server, server.demo, kept.refreshToken);
      const gone = await signIn(server, server.demo, { ...IDENTITY, subject: `hk-${day}-b` });
      await server.request('/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${gone.accessToken}` } });
      const email = `hk-${day}@example.com`;
      await requestOtp(server, { email });
      await verifyOtp(server, { email, code: await latestCode(server, email) });
      await requestOtp(server, { email: `stray-${day}@example.com` });
      await server.request('/auth/external/authorize', { json: { ...IDENTITY, subject: `hk-${day}-unused` }, headers: { authorization: `Bearer ${server.demo.secretKey}` } });
      server.clock.advance(86400);
      await housekeep();
      if (day === 35) snapshot = await counts();
    }
    const final = await counts();
    // Derived from the rules in src/flows/housekeeping.ts and this test's traffic, with the defaults
    // (refresh tokens 30 days, longest access-type token 6 h). The last run is one day after the
    // last day's traffic, so:
    // - exchange codes (60 s) and OTP codes (10 min) expired more than an hour ago: none left;
    // - the outbox keeps a day: only the last day's two messages (the OTP sign-in and the stray code);
    // - a refresh token stays until its own expiry (reuse detection): those of the last 30 days —
    //   four a day (sign-in a and its rotated successor, sign-in b, the OTP sign-in) — and no others;
    // - a session stays while a refresh token of its own does, a revoked one for a day and 6 hours
    //   after its revocation: the two live sessions of each of the last 30 days, and the last day's
    //   logged-out one.
    const keptDays = Math.round(DEFAULT_ORGANIZATION_SETTINGS.refreshTokenTtlSeconds / 86400);
    const expected = { exchange_codes: 0, otp_codes: 0, dev_outbox: 2, refresh_tokens: keptDays * 4, sessions: keptDays * 2 + 1 };
    expect(final).toEqual(expected);
    // Steady state: the last ten days added traffic but no rows.
    expect(snapshot).toEqual(final);
  });

  it('what is still live survives a run: a fresh exchange code, OTP code, session and authorization code', async () => {
    const { createOAuthApp, createPasswordUser, obtainCode } = await import('./helpers/oauth.js');
    const app = await createOAuthApp(server);
    const user = await createPasswordUser(server);
    const oauth = await obtainCode(server, app, user);
    const code = (await (await server.request('/auth/external/authorize', { json: { ...IDENTITY, subject: 'hk-live' }, headers: { authorization: `Bearer ${server.demo.secretKey}` } })).json()).exchangeCode;
    await requestOtp(server, { email: 'hk-live@example.com' });
    const session = await signIn(server, server.demo, { ...IDENTITY, subject: 'hk-live-session' });
    server.clock.advance(30);
    await housekeep();
    const { exchange } = await import('./helpers/flows.js');
    expect((await exchange(server, server.demo, { exchangeCode: code })).status).toBe(200);
    expect((await verifyOtp(server, { email: 'hk-live@example.com', code: await latestCode(server, 'hk-live@example.com') })).status).toBe(200);
    expect((await refresh(server, server.demo, session.refreshToken)).status).toBe(200);
    const { basicOf, tokenRequest } = await import('./helpers/oauth.js');
    const redeemed = await tokenRequest(server, { grant_type: 'authorization_code', code: oauth.code, redirect_uri: app.redirectUri, code_verifier: oauth.verifier }, basicOf(app));
    expect(redeemed.status).toBe(200);
    // A day and an hour later the OAuth artefacts are gone too.
    server.clock.advance(86400 + 3600);
    await housekeep();
    const { store } = server.server.runtime;
    expect(await store.findAuthorizationCode((await import('../src/crypto/hash.js')).hashSecret(oauth.code))).toBeUndefined();
  });

  it('a rotated refresh token is kept until its own expiry, so a late replay is still caught', async () => {
    const session = await signIn(server, server.demo, { ...IDENTITY, subject: 'hk-replay' });
    const rotated = await (await refresh(server, server.demo, session.refreshToken)).json();
    server.clock.advance(20 * 86400);
    await housekeep();
    const replay = await refresh(server, server.demo, session.refreshToken);
    expect(replay.status).toBe(401);
    // Caught as reuse (not as unknown): the family, successor included, is revoked.
    expect((await refresh(server, server.demo, rotated.refreshToken)).status).toBe(401);
  });

  it('one instance at a time: the lease is refused to another holder until it expires', async () => {
    const { store } = server.server.runtime;
    const now = server.clock.now();
    expect(await store.acquireLease('test-lease', 'instance-a', now, now + 60_000)).toBe(true);
    expect(await store.acquireLease('test-lease', 'instance-b', now + 1_000, now + 61_000)).toBe(false);
    expect(await store.acquireLease('test-lease', 'instance-a', now + 1_000, now + 61_000)).toBe(true);
    expect(await store.acquireLease('test-lease', 'instance-b', now + 61_000, now + 121_000)).toBe(true);
  });
});
