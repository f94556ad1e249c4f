import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../src/storage/database.js';
import { migrateTo, migrateToLatest } from '../src/storage/migrate.js';
import { openStore, type SqlStore } from '../src/storage/sql-store.js';
import { createTestDatabase, describeEachEngine, type TestDatabase } from './helpers/engines.js';

// A database as it was before migration 010: applications created with the old default (no scope at
// all) get SPEC §9's default list; a list given explicitly is kept; every application keeps PKCE
// required and EdDSA access tokens; an authorization request and code written before keep their
// state and challenge (docs/configuration.md, "Per-application settings").
describeEachEngine('issue 14 / SPEC §9: migration 010 (OpenID Connect) on a database with data', (engine) => {
  let database: TestDatabase;
  let store: SqlStore;
  const t0 = 1_700_000_000_000;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    const opened = openDatabase(database.url, { namedStatements: false });
    const db = opened.db as unknown as Kysely<any>;
    await migrateTo(db, opened.engine, '009-environments');
    await db.insertInto('organizations').values({ id: 'org_m', name: 'm', created_at: t0 }).execute();
    const app = (id: string, allowed_scopes: string) =>
      db.insertInto('applications').values({ id, organization_id: 'org_m', name: id, publishable_key: `pk_test_${id}`, environment: 'test', type: 'confidential', allowed_scopes, created_at: t0 }).execute();
    await app('app_old_default', '[]');
    await app('app_chosen', '["openid","email"]');
    await db.insertInto('authorization_requests').values({
      id: 'azr_old', organization_id: 'org_m', application_id: 'app_chosen', redirect_uri: 'https://rp.example/cb', state: 'state-1234',
      code_challenge: 'c'.repeat(43), scope: 'openid', nonce: null, created_at: t0, expires_at: t0 + 600_000,
    }).execute();
    await migrateToLatest(db, opened.engine);
    await db.destroy();
    store = await openStore(database.url);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('an application created with the old empty default gets openid profile email phone address offline_access', async () => {
    expect((await store.getApplication('app_old_default'))!.allowedScopes).toEqual(['openid', 'profile', 'email', 'phone', 'address', 'offline_access']);
  });

  it('an explicit scope list is kept; PKCE stays required, access tokens EdDSA, no post-logout URI', async () => {
    expect(await store.getApplication('app_chosen')).toMatchObject({
      allowedScopes: ['openid', 'email'], pkcePolicy: 'required', accessTokenAlg: 'EdDSA', postLogoutRedirectUris: [],
    });
  });

  it('a pending authorization request keeps its state and challenge, with no OpenID Connect parameters', async () => {
    expect(await store.getAuthorizationRequest('azr_old')).toMatchObject({
      state: 'state-1234', codeChallenge: 'c'.repeat(43), prompt: null, maxAge: null, loginHint: null, idTokenHintSubject: null, claims: null,
    });
  });
});
