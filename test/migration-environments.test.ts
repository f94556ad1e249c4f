import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/storage/database.js';
import { migrateTo, migrateToLatest } from '../src/storage/migrate.js';
import { openStore, type SqlStore } from '../src/storage/sql-store.js';
import { createTestDatabase, describeEachEngine, type TestDatabase } from './helpers/engines.js';

// A database as it was before migration 009 (every record shared by test and live), filled with the
// rows an installation had, then migrated: each row must land in the environment of the application
// that created it, and what crossed environments must end (docs/architecture.md, "Environments").
describeEachEngine('issue 11.1 / SPEC §1: migration 009 puts existing rows in their environment', (engine) => {
  let database: TestDatabase;
  let store: SqlStore;
  let applied: string[];
  const t0 = 1_700_000_000_000;
  const far = t0 + 1e10;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    const opened = openDatabase(database.url, { namedStatements: false });
    const db = opened.db as unknown as Kysely<any>;
    await migrateTo(db, opened.engine, '008-partial-session-indexes');
    await fill(db);
    applied = await migrateToLatest(db, opened.engine);
    await db.destroy();
    store = await openStore(database.url);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  async function fill(db: Kysely<any>): Promise<void> {
    for (const [id, name] of [['org_both', 'both'], ['org_test_only', 'test-only']]) {
      await db.insertInto('organizations').values({ id, name, created_at: t0 }).execute();
    }
    const apps = [['app_t', 'org_both', 'test'], ['app_l', 'org_both', 'live'], ['app_t2', 'org_test_only', 'test']] as const;
    for (const [id, organization_id, environment] of apps) {
      await db.insertInto('applications').values({ id, organization_id, name: id, publishable_key: `pk_${environment}_${id}`, environment, type: 'confidential', created_at: t0 }).execute();
    }
    const consumer = (id: string, organization_id = 'org_both', extra: Record<string, unknown> = {}) =>
      db.insertInto('consumers').values({ id, organization_id, type: 'authenticated', created_at: t0, updated_at: t0, ...extra }).execute();
    const session = (id: string, application_id: string, consumer_id: string, created_at: number) =>
      db.insertInto('sessions').values({ id, organization_id: 'org_both', application_id, consumer_id, type: 'authenticated', created_at }).execute();
    const refreshToken = (token_hash: string, session_id: string) =>
      db.insertInto('refresh_tokens').values({ token_hash, session_id, created_at: t0, expires_at: far }).execute();

    // Used through a live application first, then (the defect) through a test key: live.
    await consumer('con_live', 'org_both', { canonical_subject: 'person-1', email: 'rich@customer.example' });
    await db.insertInto('identities').values({ id: 'idn_live', organization_id: 'org_both', consumer_id: 'con_live', provider: 'shop', issuer: 'https://shop.example', subject: 'customer-1', created_at: t0 }).execute();
    await session('ses_live', 'app_l', 'con_live', t0 + 1);
    await refreshToken('rt_live', 'ses_live');
    await session('ses_crossed', 'app_t', 'con_live', t0 + 2);
    await refreshToken('rt_crossed', 'ses_crossed');
    await db.insertInto('exchange_codes').values({ code_hash: 'exc_crossed', organization_id: 'org_both', application_id: 'app_t', consumer_id: 'con_live', created_at: t0 + 3, expires_at: far }).execute();
    await db.insertInto('grants').values({ id: 'grt_crossed', organization_id: 'org_both', application_id: 'app_t', consumer_id: 'con_live', scope: 'profile', created_at: t0 + 4, updated_at: t0 + 4 }).execute();

    // A test consumer: its first session was of a test application.
    await consumer('con_test');
    await db.insertInto('identities').values({ id: 'idn_test', organization_id: 'org_both', consumer_id: 'con_test', provider: 'email', issuer: 'latchkey', subject: 'tester@example.com', created_at: t0 }).execute();
    await session('ses_test', 'app_t', 'con_test', t0 + 5);

    // Only an exchange code left (sessions purged): live. Only an OAuth grant and code: live.
    await consumer('con_exchange_only');
    await db.insertInto('exchange_codes').values({ code_hash: 'exc_live', organization_id: 'org_both', application_id: 'app_l', consumer_id: 'con_exchange_only', created_at: t0, expires_at: t0 + 60_000, consumed_at: t0 + 1 }).execute();
    await consumer('con_oauth_only');
    await db.insertInto('grants').values({ id: 'grt_live', organization_id: 'org_both', application_id: 'app_l', consumer_id: 'con_oauth_only', scope: 'openid', created_at: t0, updated_at: t0 }).execute();
    await db.insertInto('authorization_codes').values({
      code_hash: 'ac_live', organization_id: 'org_both', application_id: 'app_l', consumer_id: 'con_oauth_only', grant_id: 'grt_live', redirect_uri: 'https://c.example/cb',
      code_challenge: 'x', scope: 'openid', auth_time: t0, created_at: t0, expires_at: far,
    }).execute();

    // No evidence (made by `latchkey users create`): live where the organization has a live
    // application, test where it has none; a tombstone follows the consumer it was merged into.
    await consumer('con_cli_both', 'org_both', { password_hash: '$argon2id$x' });
    await db.insertInto('identities').values({ id: 'idn_cli_both', organization_id: 'org_both', consumer_id: 'con_cli_both', provider: 'email', issuer: 'latchkey', subject: 'ada@example.com', created_at: t0 }).execute();
    await consumer('con_cli_test_only', 'org_test_only');
    await consumer('con_tombstone', 'org_both', { merged_into_id: 'con_test' });

    // A pending OTP code asked for through the live application.
    await db.insertInto('otp_codes').values({
      organization_id: 'org_both', destination: 'otp@example.com', channel: 'email', application_id: 'app_l', code_hash: 'otp_hash', created_at: t0, expires_at: far,
    }).execute();
  }

  const pool = (environment: 'test' | 'live', organizationId = 'org_both') => ({ organizationId, environment });

  it('issue 11.1: migration 009 applies on a database that already has data', () => {
    // Later migrations follow it in order.
    expect(applied[0]).toBe('009-environments');
  });

  it('issue 11.1: each consumer takes the environment of the application of its earliest session, exchange code, grant or code', async () => {
    const environmentOf = async (id: string) => (await store.getConsumer(id))!.environment;
    expect(await environmentOf('con_live')).toBe('live');
    expect(await environmentOf('con_test')).toBe('test');
    expect(await environmentOf('con_exchange_only')).toBe('live');
    expect(await environmentOf('con_oauth_only')).toBe('live');
  });

  it('issue 11.1: rows that cannot tell — live when the organization has a live application, else test; a tombstone follows its consumer', async () => {
    expect((await store.getConsumer('con_cli_both'))!.environment).toBe('live');
    expect((await store.getConsumer('con_cli_test_only'))!.environment).toBe('test');
    expect((await store.getConsumer('con_tombstone'))!.environment).toBe('test');
  });

  it('issue 11.1: identities, canonical subjects and password logins are found in their consumer\'s environment only', async () => {
    const identity = { provider: 'shop', issuer: 'https://shop.example', subject: 'customer-1' };
    expect((await store.findConsumerByExternalIdentity(pool('live'), identity))!.id).toBe('con_live');
    expect(await store.findConsumerByExternalIdentity(pool('test'), identity)).toBeUndefined();
    expect((await store.findConsumerByCanonicalSubject(pool('live'), 'person-1'))!.id).toBe('con_live');
    expect(await store.findConsumerByCanonicalSubject(pool('test'), 'person-1')).toBeUndefined();
    expect((await store.findPasswordUser(pool('live'), 'ada@example.com'))!.consumer.id).toBe('con_cli_both');
    expect(await store.findPasswordUser(pool('test'), 'ada@example.com')).toBeUndefined();
    // The new keys: the same triple and canonical subject may now exist in test as well.
    await store.createConsumerWithIdentity(
      {
        id: 'con_new_test', organizationId: 'org_both', environment: 'test', type: 'authenticated', email: null, phone: null, fullName: null,
        canonicalSubject: 'person-1', claims: {}, mergedIntoId: null, secondFactor: null, totpEnabledAt: null, emailVerifiedAt: null, phoneVerifiedAt: null, createdAt: t0, updatedAt: t0, disabledAt: null,
      },
      'idn_new_test',
      identity,
    );
    expect((await store.findConsumerByExternalIdentity(pool('test'), identity))!.id).toBe('con_new_test');
  });

  it('issue 11.1: sessions, grants and codes that crossed environments are revoked; the rest are untouched', async () => {
    expect((await store.getSession('ses_crossed'))!.revokedAt).not.toBeNull();
    expect((await store.findRefreshToken('rt_crossed'))!.revokedAt).not.toBeNull();
    expect((await store.findExchangeCode('exc_crossed'))!.consumedAt).not.toBeNull();
    expect(await store.findLiveGrant('app_t', 'con_live')).toBeUndefined();
    expect((await store.getSession('ses_live'))!.revokedAt).toBeNull();
    expect((await store.findRefreshToken('rt_live'))!.revokedAt).toBeNull();
    expect((await store.getSession('ses_test'))!.revokedAt).toBeNull();
    expect(await store.findLiveGrant('app_l', 'con_oauth_only')).toBeDefined();
    expect((await store.findAuthorizationCode('ac_live'))!.consumedAt).toBeNull();
  });

  it('issue 11.1: a pending OTP code keeps the environment of the application that asked for it', async () => {
    const attempt = (environment: 'test' | 'live') =>
      store.redeemOtpCode({ pool: pool(environment), destination: 'otp@example.com', codeHash: 'otp_hash', maxAttempts: 5, now: t0 + 1 }, null, () => ({}));
    expect(await attempt('test')).toEqual({ outcome: 'unavailable' });
    expect(await attempt('live')).toMatchObject({ outcome: 'verified', code: { environment: 'live' } });
  });
});
