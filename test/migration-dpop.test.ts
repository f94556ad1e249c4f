import { expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { databaseMigratedFrom } from './helpers/migration.js';

// A database as it was before migration 015 (SPEC §13, RFC 9449): existing applications do not
// require DPoP, existing sessions are not bound to a key, and proofs can be recorded at once.
describeEachEngine('issue 19 / RFC 9449: migration 015 (DPoP) on a database with data', (engine) => {
  const t0 = 1_700_000_000_000;
  const migrated = databaseMigratedFrom(engine, '013-passkeys', async (db) => {
    await db.insertInto('organizations').values({ id: 'org_m', name: 'm', created_at: t0 }).execute();
    await db.insertInto('applications').values({ id: 'app_m', organization_id: 'org_m', name: 'm', publishable_key: 'pk_test_m', environment: 'test', type: 'public', created_at: t0 }).execute();
    await db.insertInto('consumers').values({ id: 'con_m', organization_id: 'org_m', environment: 'test', type: 'authenticated', created_at: t0, updated_at: t0 }).execute();
    await db.insertInto('sessions').values({ id: 'ses_m', organization_id: 'org_m', application_id: 'app_m', consumer_id: 'con_m', type: 'authenticated', kind: 'consumer', created_at: t0 }).execute();
  });
  const store = () => migrated.store();

  it('existing applications do not require DPoP; existing sessions are unbound', async () => {
    expect((await store().getApplication('app_m'))!.requireDpop).toBe(false);
    expect((await store().getSession('ses_m'))!.dpopJkt).toBeNull();
  });

  it('a proof can be recorded at once, and only once', async () => {
    expect(await store().recordDpopProof({ jtiHash: 'h', expiresAt: t0 + 60_000 }, t0)).toBe(true);
    expect(await store().recordDpopProof({ jtiHash: 'h', expiresAt: t0 + 60_000 }, t0)).toBe(false);
  });
});
