import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../src/crypto/hash.js';
import { generateId, generateSecret } from '../src/crypto/random.js';
import { DEFAULT_ORGANIZATION_SETTINGS } from '../src/protocol/lifetimes.js';
import { openStore, type SqlStore } from '../src/storage/sql-store.js';
import { UniqueConflict, type Application, type Consumer } from '../src/storage/store.js';
import { createTestDatabase, describeEachEngine, type TestDatabase } from './helpers/engines.js';

// One contract for every store (STYLE §10): the same invariants, SQLite always, PostgreSQL when given.
describeEachEngine('Store contract', (engine) => {
  let database: TestDatabase;
  let store: SqlStore;
  const now = 1_800_000_000_000;
  const organizationId = 'org_contract';
  let application: Application;
  let consumer: Consumer;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    store = await openStore(database.url, { poolSize: 20 });
    await store.createOrganization({
      id: organizationId, name: 'contract', settings: { ...DEFAULT_ORGANIZATION_SETTINGS }, branding: { displayName: null, logoUrl: null, accentColor: null }, createdAt: now,
    });
    application = {
      id: 'app_contract', organizationId, name: 'c', publishableKey: 'pk_test_contract', environment: 'test', type: 'confidential',
      redirectUris: [], allowedScopes: [], allowedOrigins: ['https://shop.example'], logoUrl: null, accentColor: null, isFirstParty: false, createdAt: now,
    };
    await store.createApplication(application, hashSecret('sk_test_first'), now);
    consumer = {
      id: 'con_contract', organizationId, environment: 'test', type: 'authenticated', email: null, phone: null, fullName: null,
      canonicalSubject: null, claims: {}, mergedIntoId: null, secondFactor: null, createdAt: now, updatedAt: now,
    };
    await store.createConsumerWithIdentity(consumer, 'idn_contract', { provider: 'p', issuer: 'i', subject: 's' });
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('migrations are idempotent: opening the store again applies nothing and keeps data', async () => {
    const again = await openStore(database.url);
    expect(await again.getApplication(application.id)).toEqual(application);
    await again.close();
  });

  it('migrations of several databases at once do not take each other\'s tables for their own', async () => {
    const others = await Promise.all(Array.from({ length: 4 }, () => createTestDatabase(engine)));
    try {
      const stores = await Promise.all(others.map((other) => openStore(other.url)));
      for (const other of stores) {
        expect(await other.listOrganizations()).toEqual([]);
        await other.close();
      }
    } finally {
      await Promise.all(others.map((other) => other.drop()));
    }
  });

  it('consumeExchangeCode: 100 concurrent consumes → exactly one winner', async () => {
    const codeHash = hashSecret(generateSecret('exc_'));
    await store.createExchangeCode({
      codeHash, organizationId, applicationId: application.id, consumerId: consumer.id, codeChallenge: null, resolution: null,
      createdAt: now, expiresAt: now + 60_000, consumedAt: null,
    });
    const results = await Promise.all(Array.from({ length: 100 }, () => store.consumeExchangeCode(codeHash, application.id, null, now + 1)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await store.findExchangeCode(codeHash))!.consumedAt).toBe(now + 1);
  });

  it('consumeExchangeCode: refuses another application, an expired code, a wrong challenge — without consuming', async () => {
    const codeHash = hashSecret(generateSecret('exc_'));
    await store.createExchangeCode({
      codeHash, organizationId, applicationId: application.id, consumerId: consumer.id, codeChallenge: 'challenge', resolution: null,
      createdAt: now, expiresAt: now + 60_000, consumedAt: null,
    });
    expect(await store.consumeExchangeCode(codeHash, 'app_other', 'challenge', now)).toBeUndefined();
    expect(await store.consumeExchangeCode(codeHash, application.id, 'wrong', now)).toBeUndefined();
    expect(await store.consumeExchangeCode(codeHash, application.id, null, now)).toBeUndefined();
    expect(await store.consumeExchangeCode(codeHash, application.id, 'challenge', now + 60_000)).toBeUndefined();
    expect((await store.findExchangeCode(codeHash))!.consumedAt).toBeNull();
    expect(await store.consumeExchangeCode(codeHash, application.id, 'challenge', now + 59_999)).toMatchObject({ consumerId: consumer.id });
  });

  async function newSession() {
    const id = generateId('ses_');
    const tokenHash = hashSecret(generateSecret('rt_'));
    await store.startSession(
      {
        id, organizationId, applicationId: application.id, consumerId: consumer.id, type: 'authenticated', kind: 'consumer',
        grantId: null, scope: null, codeHash: null, createdAt: now, revokedAt: null,
      },
      { tokenHash, sessionId: id, createdAt: now, expiresAt: now + 1000_000, rotatedAt: null, revokedAt: null },
    );
    return { id, tokenHash };
  }

  it('rotateRefreshToken: 50 concurrent rotations → exactly one winner, one successor row', async () => {
    const { id, tokenHash } = await newSession();
    const successorHash = hashSecret(generateSecret('rt_'));
    const results = await Promise.all(
      Array.from({ length: 50 }, () => store.rotateRefreshToken(tokenHash, application.id, 'consumer', { tokenHash: successorHash, expiresAt: now + 2000_000 }, now + 5)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.findRefreshToken(successorHash)).toEqual({
      tokenHash: successorHash, sessionId: id, createdAt: now + 5, expiresAt: now + 2000_000, rotatedAt: null, revokedAt: null,
    });
  });

  it('rotateRefreshToken: refuses another application, an expired token and a revoked session', async () => {
    const { id, tokenHash } = await newSession();
    const successor = { tokenHash: hashSecret(generateSecret('rt_')), expiresAt: now + 2000_000 };
    expect(await store.rotateRefreshToken(tokenHash, 'app_other', 'consumer', successor, now)).toBeUndefined();
    expect(await store.rotateRefreshToken(tokenHash, application.id, 'consumer', successor, now + 1000_000)).toBeUndefined();
    expect(await store.revokeSession(id, now)).toBe(true);
    expect(await store.revokeSession(id, now)).toBe(false);
    expect(await store.rotateRefreshToken(tokenHash, application.id, 'consumer', successor, now)).toBeUndefined();
    expect((await store.findRefreshToken(tokenHash))!.revokedAt).toBe(now);
    expect((await store.getSession(id))!.revokedAt).toBe(now);
  });

  it('findApplicationBySecretHash: rotation with overlap keeps the old secret until it expires', async () => {
    await store.rotateApplicationSecret(application.id, hashSecret('sk_test_second'), now + 100, now);
    expect(await store.findApplicationBySecretHash(hashSecret('sk_test_first'), now + 99)).toEqual(application);
    expect(await store.findApplicationBySecretHash(hashSecret('sk_test_first'), now + 100)).toBeUndefined();
    expect(await store.findApplicationBySecretHash(hashSecret('sk_test_second'), now + 10_000_000)).toEqual(application);
  });

  it('findApplicationWithSecret: one lookup tells the client and whether the secret is one of its live ones', async () => {
    const other: Application = { ...application, id: 'app_contract_other', publishableKey: 'pk_test_contract_other' };
    await store.createApplication(other, hashSecret('sk_test_other'), now);
    const check = (publishableKey: string, secret: string, at: number) => store.findApplicationWithSecret(publishableKey, hashSecret(secret), at);
    expect(await check(other.publishableKey, 'sk_test_other', now)).toEqual({ application: other, secretMatches: true });
    expect(await check(other.publishableKey, 'sk_test_wrong', now)).toEqual({ application: other, secretMatches: false });
    // Another application's live secret is not this one's.
    expect(await check(application.publishableKey, 'sk_test_other', now)).toEqual({ application, secretMatches: false });
    expect(await check('pk_test_nobody', 'sk_test_other', now)).toBeUndefined();
    // Rotation: the old secret matches until its overlap ends.
    await store.rotateApplicationSecret(other.id, hashSecret('sk_test_other_2'), now + 100, now);
    expect((await check(other.publishableKey, 'sk_test_other', now + 99))?.secretMatches).toBe(true);
    expect((await check(other.publishableKey, 'sk_test_other', now + 100))?.secretMatches).toBe(false);
    expect((await check(other.publishableKey, 'sk_test_other_2', now + 100))?.secretMatches).toBe(true);
  });

  it('createConsumerWithIdentity: a taken identity triple → UniqueConflict, and nothing is left behind', async () => {
    const twin = { ...consumer, id: 'con_twin' };
    await expect(store.createConsumerWithIdentity(twin, 'idn_twin', { provider: 'p', issuer: 'i', subject: 's' })).rejects.toBeInstanceOf(UniqueConflict);
    expect(await store.getConsumer('con_twin')).toBeUndefined();
  });

  it('fillEmptyConsumerFields: fills empty fields only, claims first-value-wins, canonical subject never stolen', async () => {
    const other = { ...consumer, id: 'con_other', canonicalSubject: 'taken' };
    await store.createConsumerWithIdentity(other, 'idn_other', { provider: 'p', issuer: 'i', subject: 'other' });
    await store.fillEmptyConsumerFields(consumer.id, { email: 'a@example.com', claims: { plan: 'gold' }, canonicalSubject: 'taken' }, now);
    const filled = await store.fillEmptyConsumerFields(
      consumer.id, { email: 'b@example.com', phone: '+14155552671', fullName: 'Ann', claims: { plan: 'x', tier: 1 } }, now,
    );
    expect(filled).toMatchObject({ email: 'a@example.com', phone: '+14155552671', fullName: 'Ann', canonicalSubject: null, claims: { plan: 'gold', tier: 1 } });
    const again = await store.fillEmptyConsumerFields(consumer.id, { phone: '+442079460958' }, now);
    expect(again.phone).toBe('+14155552671');
  });

  it('issue 11.1 / SPEC §1: identity, canonical subject and email lookups stay in their environment; both may hold the same keys', async () => {
    const live = { organizationId, environment: 'live' as const };
    const test = { organizationId, environment: 'test' as const };
    const identity = { provider: 'env', issuer: 'https://env.example', subject: 'same' };
    const inTest: Consumer = { ...consumer, id: 'con_env_test', environment: 'test', canonicalSubject: 'person-env' };
    const inLive: Consumer = { ...consumer, id: 'con_env_live', environment: 'live', canonicalSubject: 'person-env' };
    await store.createConsumerWithIdentity(inLive, 'idn_env_live', identity);
    expect(await store.findConsumerByExternalIdentity(test, identity)).toBeUndefined();
    expect(await store.findConsumerByCanonicalSubject(test, 'person-env')).toBeUndefined();
    // The same triple and canonical subject in the other environment are another consumer's, not a conflict.
    await store.createConsumerWithIdentity(inTest, 'idn_env_test', identity);
    expect((await store.findConsumerByExternalIdentity(live, identity))!.id).toBe(inLive.id);
    expect((await store.findConsumerByExternalIdentity(test, identity))!).toMatchObject({ id: inTest.id, environment: 'test' });
    expect((await store.findConsumerByCanonicalSubject(live, 'person-env'))!.id).toBe(inLive.id);
    expect((await store.findConsumerByCanonicalSubject(test, 'person-env'))!.id).toBe(inTest.id);
    // An attached identity takes its consumer's environment.
    const linked = { provider: 'env', issuer: 'https://env.example', subject: 'linked' };
    await store.attachExternalIdentity(inLive.id, 'idn_env_linked', linked, now);
    expect(await store.findConsumerByExternalIdentity(test, linked)).toBeUndefined();
    expect((await store.findConsumerByExternalIdentity(live, linked))!.id).toBe(inLive.id);
    // Password users: the email identity of one environment only.
    const email = { provider: 'email', issuer: 'latchkey', subject: 'pool@example.com' };
    const user: Consumer = { ...consumer, id: 'con_env_user', environment: 'live', canonicalSubject: null };
    await store.createConsumerWithIdentity(user, 'idn_env_user', email);
    await store.setPasswordHash(user.id, '$argon2id$placeholder', now);
    expect((await store.findPasswordUser(live, email.subject))!.consumer.id).toBe(user.id);
    expect(await store.findPasswordUser(test, email.subject)).toBeUndefined();
  });

  it('issue 11.1 / SPEC §1: a canonical subject is only "taken" by a consumer of the same environment', async () => {
    const taker: Consumer = { ...consumer, id: 'con_cs_live', environment: 'live', canonicalSubject: 'cs-shared' };
    await store.createConsumerWithIdentity(taker, 'idn_cs_live', { provider: 'cs', issuer: 'i', subject: 'live' });
    const blank: Consumer = { ...consumer, id: 'con_cs_test', environment: 'test', canonicalSubject: null };
    await store.createConsumerWithIdentity(blank, 'idn_cs_test', { provider: 'cs', issuer: 'i', subject: 'test' });
    expect((await store.fillEmptyConsumerFields(blank.id, { canonicalSubject: 'cs-shared' }, now)).canonicalSubject).toBe('cs-shared');
    const twin: Consumer = { ...consumer, id: 'con_cs_test_2', environment: 'test', canonicalSubject: null };
    await store.createConsumerWithIdentity(twin, 'idn_cs_test_2', { provider: 'cs', issuer: 'i', subject: 'test-2' });
    expect((await store.fillEmptyConsumerFields(twin.id, { canonicalSubject: 'cs-shared' }, now)).canonicalSubject).toBeNull();
  });

  it('issue 11.1 / SPEC §1: a guest never absorbs or receives identities across environments', async () => {
    const guest: Consumer = { ...consumer, id: 'con_guest_test', environment: 'test', type: 'guest', canonicalSubject: null };
    await store.createConsumer(guest);
    const source: Consumer = { ...consumer, id: 'con_source_live', environment: 'live', canonicalSubject: null };
    await store.createConsumerWithIdentity(source, 'idn_source_live', { provider: 'merge', issuer: 'i', subject: 's' });
    expect(await store.mergeConsumerIntoGuest(source.id, guest.id, now)).toBe(false);
    expect(await store.getConsumer(guest.id)).toMatchObject({ type: 'guest', mergedIntoId: null });
    expect(await store.getConsumer(source.id)).toMatchObject({ mergedIntoId: null });
    expect(await store.listExternalIdentities(source.id)).toEqual([{ provider: 'merge', issuer: 'i', subject: 's' }]);
    expect(await store.markGuestAbsorbed(guest.id, source.id, now)).toBe(false);
    expect(await store.getConsumer(guest.id)).toMatchObject({ type: 'guest', mergedIntoId: null });
    // An upgrade in place puts the identity in the guest's own environment.
    const upgraded = { provider: 'merge', issuer: 'i', subject: 'upgraded' };
    expect(await store.upgradeGuest(guest.id, 'idn_guest_upgraded', upgraded, now)).toBe(true);
    expect(await store.findConsumerByExternalIdentity({ organizationId, environment: 'live' }, upgraded)).toBeUndefined();
    expect((await store.findConsumerByExternalIdentity({ organizationId, environment: 'test' }, upgraded))!.id).toBe(guest.id);
  });

  it('issue 11.1 / SPEC §1: OTP codes — one pending per destination and environment; an attempt in one never touches the other', async () => {
    const destination = 'pool-otp@example.com';
    const code = (environment: 'test' | 'live', codeHash: string) => ({
      organizationId, environment, destination, channel: 'email' as const, applicationId: application.id, codeHash, name: null,
      createdAt: now, expiresAt: now + 600_000, attempts: 0, consumedAt: null,
    });
    expect(await store.replaceOtpCode(code('live', 'hash-live'), 60)).toEqual({ issued: true });
    // No cooldown across environments: the test code is another row.
    expect(await store.replaceOtpCode(code('test', 'hash-test'), 60)).toEqual({ issued: true });
    const live = { organizationId, environment: 'live' as const };
    const test = { organizationId, environment: 'test' as const };
    expect(await store.attemptOtpCode(test, destination, 'hash-live', 5, now + 1)).toEqual({ outcome: 'wrong', attemptsLeft: 4 });
    expect(await store.attemptOtpCode(live, destination, 'hash-live', 5, now + 1)).toMatchObject({ outcome: 'verified', code: { environment: 'live' } });
    await store.discardOtpCode(live, destination, 'hash-test');
    expect(await store.attemptOtpCode(test, destination, 'hash-test', 5, now + 1)).toMatchObject({ outcome: 'verified', code: { environment: 'test' } });
  });

  it('isOriginAllowedByAnyApplication: exact listed origins, loopback while a test application exists', async () => {
    expect(await store.isOriginAllowedByAnyApplication('https://shop.example')).toBe(true);
    expect(await store.isOriginAllowedByAnyApplication('https://shop.examplf')).toBe(false);
    expect(await store.isOriginAllowedByAnyApplication('https://shop%example')).toBe(false);
    expect(await store.isOriginAllowedByAnyApplication('http://localhost:5173')).toBe(true);
  });

  it('signing keys: retired keys leave the published list at their retirement time; retirement is per algorithm', async () => {
    const key = (kid: string, activatesAt: number, algorithm: 'EdDSA' | 'RS256' = 'EdDSA') => ({
      kid, algorithm, publicJwk: { kty: 'OKP', crv: 'Ed25519', x: kid }, privateKeySealed: 'v1.x.y.z',
      createdAt: now, activatesAt, retiresAt: null,
    });
    await store.insertSigningKey(key('k1', now));
    await store.insertSigningKey(key('r1', now + 5, 'RS256'));
    await store.insertSigningKey(key('k2', now + 10));
    await store.retireSigningKeys('EdDSA', 'k2', now + 1000);
    expect((await store.listPublishedSigningKeys(now + 999)).map((k) => k.kid)).toEqual(['k2', 'r1', 'k1']);
    expect((await store.listPublishedSigningKeys(now + 1000)).map((k) => [k.kid, k.algorithm])).toEqual([['k2', 'EdDSA'], ['r1', 'RS256']]);
  });

  it('addRedirectUri: 20 concurrent additions → all 20 kept, none twice', async () => {
    const target: Application = { ...application, id: 'app_contract_uris', publishableKey: 'pk_test_contract_uris', redirectUris: ['https://a.example/cb'] };
    await store.createApplication(target, hashSecret('sk_test_uris'), now);
    const added = Array.from({ length: 20 }, (_, i) => `https://a.example/cb${i}`);
    await Promise.all([...added, ...added.slice(0, 5)].map((uri) => store.addRedirectUri(target.id, uri)));
    const { redirectUris } = (await store.getApplication(target.id))!;
    expect([...redirectUris].sort()).toEqual(['https://a.example/cb', ...added].sort());
    expect(await store.addRedirectUri('app_nobody', 'https://a.example/x')).toBeUndefined();
  });

  it('revokeAccessToken: 20 concurrent revocations → exactly one records it; housekeeping drops it after expiry', async () => {
    const jti = generateId('jti_', now);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.revokeAccessToken({ jti, applicationId: application.id, expiresAt: now + 60_000 }, now)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.isAccessTokenRevoked(jti)).toBe(true);
    expect(await store.isAccessTokenRevoked('jti_other')).toBe(false);
    const cutoffs = { expiredBefore: now + 60_000, codesExpiredBefore: 0, sessionsBefore: 0, outboxBefore: 0 };
    expect(await store.purgeExpired('revoked_access_tokens', cutoffs, 100)).toBe(0); // not yet past its expiry
    expect(await store.purgeExpired('revoked_access_tokens', { ...cutoffs, expiredBefore: now + 60_001 }, 100)).toBe(1);
    expect(await store.isAccessTokenRevoked(jti)).toBe(false);
  });
});
