import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../src/storage/database.js';
import { migrateTo, migrateToLatest } from '../src/storage/migrate.js';
import { openStore, type SqlStore } from '../src/storage/sql-store.js';
import { createTestDatabase, describeEachEngine, type TestDatabase } from './helpers/engines.js';

// A database as it was before migration 013 (SPEC §12): existing applications get no passkey
// origins (the issuer's own is always allowed), existing consumers have no passkeys, and both new
// tables work at once.
describeEachEngine('issue 18 / SPEC §12: migration 013 (passkeys) on a database with data', (engine) => {
  let database: TestDatabase;
  let store: SqlStore;
  const t0 = 1_700_000_000_000;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    const opened = openDatabase(database.url, { namedStatements: false });
    const db = opened.db as unknown as Kysely<any>;
    await migrateTo(db, opened.engine, '011-administration');
    await db.insertInto('organizations').values({ id: 'org_m', name: 'm', created_at: t0 }).execute();
    await db.insertInto('applications').values({ id: 'app_m', organization_id: 'org_m', name: 'm', publishable_key: 'pk_test_m', environment: 'test', type: 'confidential', created_at: t0 }).execute();
    await db.insertInto('consumers').values({ id: 'con_m', organization_id: 'org_m', environment: 'test', type: 'authenticated', created_at: t0, updated_at: t0 }).execute();
    await migrateToLatest(db, opened.engine);
    await db.destroy();
    store = await openStore(database.url);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('existing applications list no passkey origins; existing consumers have no passkeys', async () => {
    expect((await store.getApplication('app_m'))!.passkeyOrigins).toEqual([]);
    expect(await store.listPasskeys('con_m')).toEqual([]);
  });

  it('a challenge and a passkey can be stored at once', async () => {
    await store.createWebAuthnChallenge({
      challengeHash: 'h-m', organizationId: 'org_m', applicationId: 'app_m', purpose: 'registration', consumerId: 'con_m', createdAt: t0, expiresAt: t0 + 300_000, consumedAt: null,
    });
    const passkey = {
      id: 'pkey_m', organizationId: 'org_m', consumerId: 'con_m', credentialId: 'cred-m', publicKey: 'pk', signCount: 0, transports: ['internal'],
      backupEligible: true, backedUp: true, deviceType: 'multiDevice' as const, aaguid: '00000000-0000-0000-0000-000000000000', name: 'Passkey', createdAt: t0, lastUsedAt: null,
    };
    expect(await store.registerPasskey({ challengeHash: 'h-m', applicationId: 'app_m', now: t0 + 1 }, passkey, [])).toBe(true);
    expect(await store.findPasskeyByCredentialId('cred-m')).toEqual(passkey);
  });
});
