import { expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { databaseMigratedFrom } from './helpers/migration.js';

// A database as it was before migration 014 (SPEC §13): existing applications require no PAR and list
// no resources; existing authorization requests and token families have no resources (their tokens
// keep the issuer as audience); the pushed-request table works at once.
describeEachEngine('issue 19 / SPEC §13: migration 014 (PAR, resource indicators) on a database with data', (engine) => {
  const t0 = 1_700_000_000_000;
  const migrated = databaseMigratedFrom(engine, '013-passkeys', async (db) => {
    await db.insertInto('organizations').values({ id: 'org_m', name: 'm', created_at: t0 }).execute();
    await db.insertInto('applications').values({ id: 'app_m', organization_id: 'org_m', name: 'm', publishable_key: 'pk_test_m', environment: 'test', type: 'confidential', created_at: t0 }).execute();
    await db.insertInto('consumers').values({ id: 'con_m', organization_id: 'org_m', environment: 'test', type: 'authenticated', created_at: t0, updated_at: t0 }).execute();
    await db.insertInto('sessions').values({ id: 'ses_m', organization_id: 'org_m', application_id: 'app_m', consumer_id: 'con_m', type: 'authenticated', kind: 'oauth', scope: 'profile', created_at: t0 }).execute();
    await db.insertInto('authorization_requests').values({
      id: 'azr_m', organization_id: 'org_m', application_id: 'app_m', redirect_uri: 'https://m.example/cb', state: '', code_challenge: '', scope: 'openid', created_at: t0, expires_at: t0 + 600_000,
    }).execute();
  });
  const store = () => migrated.store();

  it('existing applications require no PAR and list no resources; existing requests and families have no resources', async () => {
    expect(await store().getApplication('app_m')).toMatchObject({ requirePushedAuthorizationRequests: false, resources: [] });
    expect((await store().getSession('ses_m'))!.resources).toEqual([]);
    expect((await store().getAuthorizationRequest('azr_m'))!.resources).toEqual([]);
  });

  it('a pushed request can be stored and consumed at once', async () => {
    await store().createPushedAuthorizationRequest({
      requestUriHash: 'h-m', organizationId: 'org_m', applicationId: 'app_m', parameters: { response_type: 'code' }, resources: [], createdAt: t0, expiresAt: t0 + 60_000, consumedAt: null,
    });
    expect(await store().consumePushedAuthorizationRequest({ requestUriHash: 'h-m', applicationId: 'app_m', now: t0 + 1 })).toMatchObject({ consumedAt: t0 + 1 });
  });
});
