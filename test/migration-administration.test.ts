import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../src/storage/database.js';
import { migrateTo, migrateToLatest } from '../src/storage/migrate.js';
import { openStore, type SqlStore } from '../src/storage/sql-store.js';
import { createTestDatabase, describeEachEngine, type TestDatabase } from './helpers/engines.js';

// A database as it was before migration 011 (SPEC §10): applications and consumers stay enabled,
// there are no admin tokens, and audit events written before it can be filtered by the consumer they
// name (the column is filled from their JSON data) — with no actor.
describeEachEngine('issue 17 / SPEC §10: migration 011 (administration) on a database with data', (engine) => {
  let database: TestDatabase;
  let store: SqlStore;
  const t0 = 1_700_000_000_000;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    const opened = openDatabase(database.url, { namedStatements: false });
    const db = opened.db as unknown as Kysely<any>;
    await migrateTo(db, opened.engine, '010-openid-connect');
    await db.insertInto('organizations').values({ id: 'org_m', name: 'm', created_at: t0 }).execute();
    await db.insertInto('applications').values({ id: 'app_m', organization_id: 'org_m', name: 'm', publishable_key: 'pk_test_m', environment: 'test', type: 'confidential', created_at: t0 }).execute();
    await db.insertInto('consumers').values({ id: 'con_m', organization_id: 'org_m', environment: 'test', type: 'guest', created_at: t0, updated_at: t0 }).execute();
    await db.insertInto('audit_events').values([
      { id: 'evt_1', organization_id: 'org_m', type: 'consumer.created', data: JSON.stringify({ consumerId: 'con_m', via: 'guest' }), created_at: t0 },
      { id: 'evt_2', organization_id: 'org_m', type: 'otp.sent', data: JSON.stringify({ channel: 'email' }), created_at: t0 },
    ]).execute();
    await migrateToLatest(db, opened.engine);
    const columns = await db.selectFrom('audit_events').select(['id', 'consumer_id', 'actor_id']).orderBy('id').execute();
    expect(columns).toEqual([{ id: 'evt_1', consumer_id: 'con_m', actor_id: null }, { id: 'evt_2', consumer_id: null, actor_id: null }]);
    await db.destroy();
    store = await openStore(database.url);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('existing applications and consumers are enabled (disabledAt null)', async () => {
    expect((await store.getApplication('app_m'))!.disabledAt).toBeNull();
    expect((await store.getConsumer('con_m'))!.disabledAt).toBeNull();
  });

  it('there are no admin tokens; one can be created and found by its hash', async () => {
    expect(await store.listAdminTokens({}, { after: null, limit: 10 })).toEqual([]);
    const token = { id: 'adm_1', name: 'n', organizationId: 'org_m', readOnly: true, createdAt: t0, revokedAt: null, lastUsedAt: null };
    await store.createAdminToken(token, 'hash-1');
    expect(await store.findAdminTokenByHash('hash-1')).toEqual({ token, tokenHash: 'hash-1' });
  });
});
