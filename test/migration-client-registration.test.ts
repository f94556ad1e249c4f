import { expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { databaseMigratedFrom } from './helpers/migration.js';

// A database as it was before migration 016 (SPEC §13): existing organizations have both switches
// off and no initial access token; existing applications were made by hand.
describeEachEngine('issue 19 / SPEC §13: migration 016 (client registration) on a database with data', (engine) => {
  const t0 = 1_700_000_000_000;
  const migrated = databaseMigratedFrom(engine, '013-passkeys', async (db) => {
    await db.insertInto('organizations').values({ id: 'org_m', name: 'm', created_at: t0 }).execute();
    await db.insertInto('applications').values({ id: 'app_m', organization_id: 'org_m', name: 'm', publishable_key: 'pk_test_m', environment: 'test', type: 'confidential', created_at: t0 }).execute();
  });
  const store = () => migrated.store();

  it('SPEC §13: existing organizations have everything off; existing applications are manual', async () => {
    expect(migrated.applied()).toContain('016-client-registration');
    expect(await store().getClientRegistrationSettings('org_m')).toEqual({ metadataDocuments: 'off', dynamicRegistration: 'off', registrationTokenHash: null });
    expect((await store().getApplication('app_m'))!.registration).toBe('manual');
  });

  it('the switches refuse a value that is not off, test or live', async () => {
    await expect(store().setClientRegistrationSettings('org_m', { metadataDocuments: 'on' as 'off', dynamicRegistration: 'off', registrationTokenHash: null })).rejects.toThrow();
  });
});
