import { expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { databaseMigratedFrom } from './helpers/migration.js';

// A database as it was before migration 013 (SPEC §12): existing applications get no passkey
// origins (the issuer's own is always allowed), existing consumers have no passkeys, and both new
// tables work at once.
describeEachEngine('issue 18 / SPEC §12: migration 013 (passkeys) on a database with data', (engine) => {
  const t0 = 1_700_000_000_000;
  const migrated = databaseMigratedFrom(engine, '012-totp', async (db) => {
    await db.insertInto('organizations').values({ id: 'org_m', name: 'm', created_at: t0 }).execute();
    await db.insertInto('applications').values({ id: 'app_m', organization_id: 'org_m', name: 'm', publishable_key: 'pk_test_m', environment: 'test', type: 'confidential', created_at: t0 }).execute();
    await db.insertInto('consumers').values({ id: 'con_m', organization_id: 'org_m', environment: 'test', type: 'authenticated', created_at: t0, updated_at: t0 }).execute();
  });
  const store = () => migrated.store();

  it('existing applications list no passkey origins; existing consumers have no passkeys', async () => {
    expect((await store().getApplication('app_m'))!.passkeyOrigins).toEqual([]);
    expect(await store().listPasskeys('con_m')).toEqual([]);
  });

  it('a challenge and a passkey can be stored at once', async () => {
    await store().createWebAuthnChallenge({
      challengeHash: 'h-m', organizationId: 'org_m', applicationId: 'app_m', purpose: 'registration', consumerId: 'con_m', createdAt: t0, expiresAt: t0 + 300_000, consumedAt: null,
    });
    const passkey = {
      id: 'pkey_m', organizationId: 'org_m', consumerId: 'con_m', credentialId: 'cred-m', publicKey: 'pk', signCount: 0, transports: ['internal'],
      backupEligible: true, backedUp: true, deviceType: 'multiDevice' as const, aaguid: '00000000-0000-0000-0000-000000000000', name: 'Passkey', createdAt: t0, lastUsedAt: null,
    };
    expect(await store().registerPasskey({ challengeHash: 'h-m', applicationId: 'app_m', now: t0 + 1 }, passkey, [])).toBe(true);
    expect(await store().findPasskeyByCredentialId('cred-m')).toEqual(passkey);
  });
});
