import { expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { databaseMigratedFrom } from './helpers/migration.js';

// A database as it was before migration 012 (SPEC §12, issue 18): people with and without the SMS
// second factor keep exactly what they had — no TOTP, no recovery codes — and can enroll afterwards.
describeEachEngine('issue 18 / SPEC §12: migration 012 (TOTP) on a database with data', (engine) => {
  const t0 = 1_700_000_000_000;
  const migrated = databaseMigratedFrom(engine, '011-administration', async (db) => {
    await db.insertInto('organizations').values({ id: 'org_m', name: 'm', created_at: t0 }).execute();
    await db.insertInto('consumers').values([
      { id: 'con_sms', organization_id: 'org_m', environment: 'test', type: 'authenticated', phone: '+14155550100', second_factor: 'sms', created_at: t0, updated_at: t0 },
      { id: 'con_none', organization_id: 'org_m', environment: 'test', type: 'authenticated', created_at: t0, updated_at: t0 },
    ]).execute();
  });
  const store = () => migrated.store();

  it('runs the migration', () => {
    expect(migrated.applied()).toContain('012-totp');
  });

  it('existing people have no TOTP (totpEnabledAt null) and keep their SMS second factor', async () => {
    expect(await store().getConsumer('con_sms')).toMatchObject({ secondFactor: 'sms', phone: '+14155550100', totpEnabledAt: null });
    expect(await store().getConsumer('con_none')).toMatchObject({ secondFactor: null, totpEnabledAt: null });
    expect(await store().getTotpFactor('con_sms')).toBeUndefined();
    expect(await store().countUnusedRecoveryCodes('con_sms')).toBe(0);
  });

  it('they can enroll: the new tables take a pending and a confirmed enrollment with recovery codes', async () => {
    expect(await store().startTotpEnrollment({ consumerId: 'con_sms', organizationId: 'org_m', secretSealed: 'v1.x.y.z', createdAt: t0 })).toBe(true);
    expect(await store().confirmTotpEnrollment({ consumerId: 'con_sms', secretSealed: 'v1.x.y.z', step: 5, recoveryCodeHashes: ['h1', 'h2'], now: t0 + 1 }, [])).toBe(true);
    expect(await store().getConsumer('con_sms')).toMatchObject({ secondFactor: 'sms', totpEnabledAt: t0 + 1 });
    expect(await store().countUnusedRecoveryCodes('con_sms')).toBe(2);
  });

  it('a recovery code hash is unique per person (primary key), not across people', async () => {
    expect(await store().startTotpEnrollment({ consumerId: 'con_none', organizationId: 'org_m', secretSealed: 's', createdAt: t0 })).toBe(true);
    expect(await store().confirmTotpEnrollment({ consumerId: 'con_none', secretSealed: 's', step: 5, recoveryCodeHashes: ['h1'], now: t0 }, [])).toBe(true);
    expect(await store().countUnusedRecoveryCodes('con_none')).toBe(1);
  });
});
