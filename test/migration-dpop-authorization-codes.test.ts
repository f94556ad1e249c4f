import { expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { databaseMigratedFrom } from './helpers/migration.js';

// A database as it was before migration 017 (RFC 9449 §10): authorization requests and codes in
// flight are not bound to a DPoP key and are redeemed as before.
describeEachEngine('issue 19 / RFC 9449 §10: migration 017 (DPoP authorization-code binding) on a database with data', (engine) => {
  const t0 = 1_700_000_000_000;
  const migrated = databaseMigratedFrom(engine, '016-client-registration', async (db) => {
    await db.insertInto('organizations').values({ id: 'org_m', name: 'm', created_at: t0 }).execute();
    await db.insertInto('applications').values({ id: 'app_m', organization_id: 'org_m', name: 'm', publishable_key: 'pk_test_m', environment: 'test', type: 'public', created_at: t0 }).execute();
    await db.insertInto('consumers').values({ id: 'con_m', organization_id: 'org_m', environment: 'test', type: 'authenticated', created_at: t0, updated_at: t0 }).execute();
    await db.insertInto('grants').values({ id: 'grt_m', organization_id: 'org_m', application_id: 'app_m', consumer_id: 'con_m', scope: 'openid', created_at: t0, updated_at: t0 }).execute();
    await db.insertInto('authorization_requests').values({
      id: 'azr_m', organization_id: 'org_m', application_id: 'app_m', redirect_uri: 'https://a.example/cb', state: '', code_challenge: '', scope: 'openid', created_at: t0, expires_at: t0 + 600_000,
    }).execute();
    await db.insertInto('authorization_codes').values({
      code_hash: 'h_m', organization_id: 'org_m', application_id: 'app_m', consumer_id: 'con_m', grant_id: 'grt_m', redirect_uri: 'https://a.example/cb', code_challenge: '',
      scope: 'openid', auth_time: t0, created_at: t0, expires_at: t0 + 60_000,
    }).execute();
  });
  const store = () => migrated.store();

  it('existing authorization requests and codes are not bound to a DPoP key', async () => {
    expect((await store().getAuthorizationRequest('azr_m'))!.dpopJkt).toBeUndefined();
    expect((await store().findAuthorizationCode('h_m'))!.dpopJkt).toBeUndefined();
  });
});
