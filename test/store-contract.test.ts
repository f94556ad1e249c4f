import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../src/crypto/hash.js';
import { generateId, generateSecret } from '../src/crypto/random.js';
import { DEFAULT_ORGANIZATION_SETTINGS } from '../src/protocol/lifetimes.js';
import { openStore, type SqlStore } from '../src/storage/sql-store.js';
import { SignInConflict, UniqueConflict, type Application, type Consumer, type Passkey, type SignInWrites, type UserPool } from '../src/storage/store.js';
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
      redirectUris: [], allowedScopes: [], allowedOrigins: ['https://shop.example'], logoUrl: null, accentColor: null, isFirstParty: false,
      pkcePolicy: 'required', postLogoutRedirectUris: [], accessTokenAlg: 'EdDSA', passkeyOrigins: [],
      requirePushedAuthorizationRequests: false, resources: [], requireDpop: false, createdAt: now, disabledAt: null, registration: 'manual',
    };
    await store.createApplication(application, hashSecret('sk_test_first'), now);
    consumer = {
      id: 'con_contract', organizationId, environment: 'test', type: 'authenticated', email: null, phone: null, fullName: null,
      canonicalSubject: null, claims: {}, mergedIntoId: null, secondFactor: null, totpEnabledAt: null, emailVerifiedAt: null, phoneVerifiedAt: null, createdAt: now, updatedAt: now, disabledAt: null,
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

  /** A consumer session with its first refresh token and `session.started` event, as a sign-in writes them. */
  function sessionWrites(consumerId: string, at = now) {
    const id = generateId('ses_');
    const tokenHash = hashSecret(generateSecret('rt_'));
    const writes: SignInWrites = {
      session: {
        session: { id, organizationId, applicationId: application.id, consumerId, type: 'authenticated', kind: 'consumer', grantId: null, scope: null, codeHash: null, createdAt: at, revokedAt: null },
        firstRefreshToken: { tokenHash, sessionId: id, createdAt: at, expiresAt: at + 1000_000, rotatedAt: null, revokedAt: null },
      },
      auditEvents: [{ id: generateId('evt_'), organizationId, type: 'session.started', data: { sessionId: id }, createdAt: at }],
    };
    return { id, tokenHash, writes };
  }

  /** What a sign-in wrote for `sessionId`: its session, first refresh token and `session.started` events. */
  async function writtenFor(sessionId: string, tokenHash: string) {
    const events = (await store.listAuditEvents(organizationId, 'session.started')).filter((e) => e.data.sessionId === sessionId);
    return { session: await store.getSession(sessionId), refreshToken: await store.findRefreshToken(tokenHash), events: events.length };
  }

  async function newExchangeCode(codeChallenge: string | null = null) {
    const codeHash = hashSecret(generateSecret('exc_'));
    await store.createExchangeCode({
      codeHash, organizationId, applicationId: application.id, consumerId: consumer.id, codeChallenge, resolution: null,
      createdAt: now, expiresAt: now + 60_000, consumedAt: null,
    });
    return codeHash;
  }

  it('issue 12.1 / SPEC §4: redeemExchangeCode — 100 concurrent redemptions → exactly one winner, and the winner\'s session, refresh token and event exist', async () => {
    const codeHash = await newExchangeCode();
    const planned: Array<ReturnType<typeof sessionWrites>> = [];
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        store.redeemExchangeCode({ codeHash, applicationId: application.id, codeChallenge: null, now: now + 1, withGuest: false }, ({ consumer: named }) => {
          const planning = sessionWrites(named!.id, now + 1);
          planned.push(planning);
          return planning.writes;
        }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await store.findExchangeCode(codeHash))!.consumedAt).toBe(now + 1);
    // On PostgreSQL a loser may plan before its UPDATE finds the row taken; only the winner's plan is written.
    const written = await Promise.all(planned.map((p) => writtenFor(p.id, p.tokenHash)));
    const sessions = written.filter((w) => w.session);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ session: { consumerId: consumer.id, revokedAt: null }, refreshToken: { rotatedAt: null }, events: 1 });
  });

  it('issue 12.1: redeemExchangeCode — a failure after the consumption, inside the transaction, leaves the code unused and writes nothing; a retry succeeds', async () => {
    const codeHash = await newExchangeCode();
    const failing = sessionWrites(consumer.id);
    const redeem = (signIn: () => SignInWrites) =>
      store.redeemExchangeCode({ codeHash, applicationId: application.id, codeChallenge: null, now: now + 1, withGuest: false }, signIn);
    await expect(redeem(() => { throw new Error('crash between consuming and creating'); })).rejects.toThrow('crash between');
    expect((await store.findExchangeCode(codeHash))!.consumedAt).toBeNull();
    // A write that fails (a duplicate session id) rolls the consumption back too.
    const { id: takenId } = await newSession();
    const clash = sessionWrites(consumer.id);
    clash.writes.session!.session.id = takenId;
    clash.writes.session!.firstRefreshToken!.sessionId = takenId;
    await expect(redeem(() => clash.writes)).rejects.toThrow();
    expect((await store.findExchangeCode(codeHash))!.consumedAt).toBeNull();
    expect(await store.findRefreshToken(clash.tokenHash)).toBeUndefined();
    const retry = sessionWrites(consumer.id);
    expect(await redeem(() => retry.writes)).toMatchObject({ code: { codeHash, consumedAt: now + 1 } });
    expect(await writtenFor(retry.id, retry.tokenHash)).toMatchObject({ session: { id: retry.id }, refreshToken: { sessionId: retry.id }, events: 1 });
    expect(await writtenFor(failing.id, failing.tokenHash)).toEqual({ session: undefined, refreshToken: undefined, events: 0 });
  });

  it('redeemExchangeCode: refuses another application, an expired code, a wrong challenge — without consuming or calling signIn', async () => {
    const codeHash = await newExchangeCode('challenge');
    const refused = () => {
      throw new Error('signIn must not run for a refused code');
    };
    const redeem = (applicationId: string, codeChallenge: string | null, at: number, signIn: () => SignInWrites = refused) =>
      store.redeemExchangeCode({ codeHash, applicationId, codeChallenge, now: at, withGuest: false }, signIn);
    expect(await redeem('app_other', 'challenge', now)).toBeUndefined();
    expect(await redeem(application.id, 'wrong', now)).toBeUndefined();
    expect(await redeem(application.id, null, now)).toBeUndefined();
    expect(await redeem(application.id, 'challenge', now + 60_000)).toBeUndefined();
    expect((await store.findExchangeCode(codeHash))!.consumedAt).toBeNull();
    expect(await redeem(application.id, 'challenge', now + 59_999, () => ({}))).toMatchObject({ code: { consumerId: consumer.id } });
  });

  async function newOtpCode(destination: string, codeHash: string) {
    await store.replaceOtpCode({
      organizationId, environment: 'test', destination, channel: 'email', applicationId: application.id, codeHash, name: null,
      createdAt: now, expiresAt: now + 600_000, attempts: 0, consumedAt: null,
    }, 0);
  }
  const testPool: UserPool = { organizationId, environment: 'test' };

  it('issue 12.1 / SPEC §5.4: redeemOtpCode — 30 concurrent right codes → exactly one verifies, and its new consumer, session and events exist', async () => {
    const destination = 'race-otp@example.com';
    await newOtpCode(destination, 'hash-race');
    const identity = { provider: 'email', issuer: 'latchkey', subject: destination };
    const planned: Array<ReturnType<typeof sessionWrites>> = [];
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        store.redeemOtpCode({ pool: testPool, destination, codeHash: 'hash-race', maxAttempts: 100, now: now + 1 }, identity, ({ owner }) => {
          expect(owner).toBeUndefined();
          const created: Consumer = { ...consumer, id: `con_otp_race_${i}`, canonicalSubject: null };
          const planning = sessionWrites(created.id, now + 1);
          planned.push(planning);
          return { newConsumer: { consumer: created, identityId: `idn_otp_race_${i}`, identity }, fill: { consumerId: created.id, email: destination }, ...planning.writes };
        }),
      ),
    );
    const verified = results.filter((r) => r.outcome === 'verified');
    expect(verified).toHaveLength(1);
    expect(results.filter((r) => r.outcome !== 'verified').every((r) => r.outcome === 'unavailable')).toBe(true);
    const written = (await Promise.all(planned.map((p) => writtenFor(p.id, p.tokenHash)))).filter((w) => w.session);
    expect(written).toHaveLength(1);
    const owner = await store.findConsumerByExternalIdentity(testPool, identity);
    expect(owner).toMatchObject({ id: written[0]!.session!.consumerId, email: destination });
    expect(verified[0]).toMatchObject({ signedIn: { id: owner!.id, email: destination } });
    expect(written[0]).toMatchObject({ refreshToken: { rotatedAt: null }, events: 1 });
  });

  it('issue 12.1: redeemOtpCode — a failure after the consumption leaves the code pending (the attempt uncounted); a retry verifies; a wrong code commits its attempt alone', async () => {
    const destination = 'fail-otp@example.com';
    await newOtpCode(destination, 'hash-right');
    const attempt = (codeHash: string, signIn: () => SignInWrites) =>
      store.redeemOtpCode({ pool: testPool, destination, codeHash, maxAttempts: 5, now: now + 1 }, null, signIn);
    const mustNotRun = () => {
      throw new Error('signIn must not run for a wrong code');
    };
    expect(await attempt('hash-wrong', mustNotRun)).toEqual({ outcome: 'wrong', attemptsLeft: 4 });
    await expect(attempt('hash-right', () => { throw new Error('crash between consuming and creating'); })).rejects.toThrow('crash between');
    expect(await attempt('hash-wrong', mustNotRun)).toEqual({ outcome: 'wrong', attemptsLeft: 3 });
    const retry = sessionWrites(consumer.id);
    expect(await attempt('hash-right', () => retry.writes)).toMatchObject({ outcome: 'verified', code: { consumedAt: now + 1, attempts: 3 } });
    expect(await writtenFor(retry.id, retry.tokenHash)).toMatchObject({ session: { id: retry.id }, events: 1 });
    expect(await attempt('hash-right', mustNotRun)).toEqual({ outcome: 'unavailable' });
  });

  it('issue 12.1: a sign-in whose guest was linked first, or whose challenge was spent first, commits nothing — its code stays usable', async () => {
    const guest: Consumer = { ...consumer, id: 'con_guest_taken', type: 'guest', canonicalSubject: null };
    await store.createConsumer(guest);
    expect(await store.markGuestAbsorbed(guest.id, consumer.id, now)).toBe(true);
    const codeHash = await newExchangeCode();
    const redeem = (writes: SignInWrites) => store.redeemExchangeCode({ codeHash, applicationId: application.id, codeChallenge: null, now: now + 1, withGuest: true }, () => writes);
    const absorbing = sessionWrites(consumer.id);
    await expect(redeem({ ...absorbing.writes, guest: { guestId: guest.id, action: 'absorb', intoId: consumer.id } })).rejects.toMatchObject({ name: 'SignInConflict', reason: 'guest_taken' });
    expect((await store.findExchangeCode(codeHash))!.consumedAt).toBeNull();
    expect(await store.getSession(absorbing.id)).toBeUndefined();
    // Two sign-ins spending one challenge id: exactly one commits, the other's code stays usable.
    await newOtpCode('spend-a@example.com', 'hash-a');
    await newOtpCode('spend-b@example.com', 'hash-b');
    const jti = generateId('sfc_', now);
    const spends = ['a', 'b'].map((x) => {
      const planning = sessionWrites(consumer.id);
      const outcome = store
        .redeemOtpCode({ pool: testPool, destination: `spend-${x}@example.com`, codeHash: `hash-${x}`, maxAttempts: 5, now: now + 1 }, null, () => ({
          spentTokenId: { jti, applicationId: application.id, expiresAt: now + 600_000 }, ...planning.writes,
        }))
        .then((r) => r.outcome, (error: { reason?: string }) => error.reason);
      return { planning, outcome };
    });
    expect((await Promise.all(spends.map((s) => s.outcome))).sort()).toEqual(['token_spent', 'verified']);
    const written = await Promise.all(spends.map((s) => writtenFor(s.planning.id, s.planning.tokenHash)));
    expect(written.filter((w) => w.session)).toHaveLength(1);
    expect(await store.isAccessTokenRevoked(jti)).toBe(true);
  });

  it('issue 12.1 / SPEC §6.3: redeemAuthorizationRequest — 20 concurrent redemptions → one winner with its grant and code; a failure after the consumption leaves the request pending', async () => {
    const request = {
      id: generateId('azr_', now), organizationId, applicationId: application.id, redirectUri: 'https://shop.example/cb', state: 'st', codeChallenge: 'ch',
      scope: 'openid', nonce: null, prompt: null, maxAge: null, loginHint: null, idTokenHintSubject: null, claims: null,
      createdAt: now, expiresAt: now + 600_000, consumedAt: null,
    };
    await store.createAuthorizationRequest(request);
    const codeHashes: string[] = [];
    const issue = {
      grant: () => ({ id: generateId('grt_', now), organizationId, applicationId: application.id, consumerId: consumer.id, scope: 'openid', createdAt: now, updatedAt: now, revokedAt: null }),
      code: (_: unknown, grant: { id: string }) => {
        const codeHash = hashSecret(generateSecret('ac_'));
        codeHashes.push(codeHash);
        return {
          code: {
            codeHash, organizationId, applicationId: application.id, consumerId: consumer.id, grantId: grant.id, redirectUri: request.redirectUri,
            codeChallenge: 'ch', scope: 'openid', nonce: null, authTime: now, browserSessionId: null, claims: null, createdAt: now, expiresAt: now + 60_000, consumedAt: null,
          },
          auditEvents: [],
        };
      },
    };
    const match = { id: request.id, applicationId: application.id, now: now + 1 };
    await expect(store.redeemAuthorizationRequest(match, { ...issue, code: () => { throw new Error('crash between consuming and creating'); } })).rejects.toThrow('crash between');
    expect((await store.getAuthorizationRequest(request.id))!.consumedAt).toBeNull();
    const results = await Promise.all(Array.from({ length: 20 }, () => store.redeemAuthorizationRequest(match, issue)));
    const winners = results.filter(Boolean);
    expect(winners).toHaveLength(1);
    const codes = (await Promise.all(codeHashes.map((h) => store.findAuthorizationCode(h)))).filter(Boolean);
    expect(codes).toHaveLength(1);
    expect(codes[0]).toMatchObject({ grantId: winners[0]!.grant.id, consumedAt: null });
    expect(await store.findLiveGrant(application.id, consumer.id)).toMatchObject({ id: winners[0]!.grant.id });
  });

  it('issue 12.1 / RFC 6749 §4.1.2: redeemAuthorizationCode — a failure after the consumption leaves the code unused; a retry starts the family with its event', async () => {
    const grant = await store.recordGrant({ id: generateId('grt_', now), organizationId, applicationId: application.id, consumerId: consumer.id, scope: 'openid', createdAt: now, updatedAt: now, revokedAt: null });
    const codeHash = hashSecret(generateSecret('ac_'));
    await store.createAuthorizationCode({
      codeHash, organizationId, applicationId: application.id, consumerId: consumer.id, grantId: grant.id, redirectUri: 'https://shop.example/cb',
      codeChallenge: 'ch', scope: 'openid', nonce: null, authTime: now, browserSessionId: null, claims: null, createdAt: now, expiresAt: now + 60_000, consumedAt: null,
    });
    const match = { codeHash, applicationId: application.id, redirectUri: 'https://shop.example/cb', codeChallenge: 'ch', now: now + 1 };
    await expect(store.redeemAuthorizationCode(match, () => { throw new Error('crash between consuming and creating'); })).rejects.toThrow('crash between');
    expect((await store.findAuthorizationCode(codeHash))!.consumedAt).toBeNull();
    const retry = sessionWrites(consumer.id);
    expect(await store.redeemAuthorizationCode(match, () => ({ ...retry.writes.session!, auditEvents: retry.writes.auditEvents }))).toMatchObject({ codeHash, consumedAt: now + 1 });
    expect(await writtenFor(retry.id, retry.tokenHash)).toMatchObject({ session: { id: retry.id }, refreshToken: { sessionId: retry.id }, events: 1 });
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
    const winners = results.filter(Boolean);
    expect(winners).toHaveLength(1);
    // The winner gets the presented token as rotated and the family's session, live.
    expect(winners[0]!.token).toMatchObject({ tokenHash, sessionId: id, rotatedAt: now + 5, revokedAt: null });
    expect(winners[0]!.session).toEqual(await store.getSession(id));
    expect(winners[0]!.session.revokedAt).toBeNull();
    expect(await store.findRefreshToken(successorHash)).toEqual({
      tokenHash: successorHash, sessionId: id, createdAt: now + 5, expiresAt: now + 2000_000, rotatedAt: null, revokedAt: null,
    });
  });

  it('rotateRefreshToken: concurrent rotations of different families all succeed, each with its own session and successor', async () => {
    const families = await Promise.all(Array.from({ length: 30 }, () => newSession()));
    const successors = families.map(() => hashSecret(generateSecret('rt_')));
    const results = await Promise.all(
      families.map(({ tokenHash }, i) => store.rotateRefreshToken(tokenHash, application.id, 'consumer', { tokenHash: successors[i]!, expiresAt: now + 2000_000 }, now + 5)),
    );
    results.forEach((result, i) => expect(result?.session.id).toBe(families[i]!.id));
    for (const [i, successorHash] of successors.entries()) expect((await store.findRefreshToken(successorHash))?.sessionId).toBe(families[i]!.id);
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

  it('RP-Initiated Logout 1.0 §2 / SPEC §9: endBrowserSession ends the login session and the families it started for that application only', async () => {
    const other: Application = { ...application, id: 'app_contract_logout_other', publishableKey: 'pk_test_contract_logout_other' };
    await store.createApplication(other, hashSecret('sk_test_logout_other'), now);
    const started = async (kind: 'login' | 'oauth' | 'consumer', applicationId: string, browserSessionId: string | null) => {
      const id = generateId('ses_');
      const tokenHash = hashSecret(generateSecret('rt_'));
      await store.startSession(
        { id, organizationId, applicationId, consumerId: consumer.id, type: 'authenticated', kind, grantId: null, scope: null, codeHash: null, browserSessionId, createdAt: now, revokedAt: null },
        kind === 'login' ? null : { tokenHash, sessionId: id, createdAt: now, expiresAt: now + 1000_000, rotatedAt: null, revokedAt: null },
      );
      return { id, tokenHash };
    };
    const browser = await started('login', application.id, null);
    const anotherBrowser = await started('login', application.id, null);
    const family = await started('oauth', application.id, browser.id);
    const otherAppFamily = await started('oauth', other.id, browser.id);
    const otherBrowserFamily = await started('oauth', application.id, anotherBrowser.id);
    const unrelated = await started('consumer', application.id, null);

    expect(await store.endBrowserSession(browser.id, application.id, now + 7)).toEqual({ loginSessionRevoked: true, familiesRevoked: 1 });
    expect((await store.getSession(browser.id))!.revokedAt).toBe(now + 7);
    expect((await store.getSession(family.id))!.revokedAt).toBe(now + 7);
    expect((await store.findRefreshToken(family.tokenHash))!.revokedAt).toBe(now + 7);
    for (const alive of [anotherBrowser, otherAppFamily, otherBrowserFamily, unrelated]) expect((await store.getSession(alive.id))!.revokedAt).toBeNull();
    expect((await store.findRefreshToken(otherAppFamily.tokenHash))!.revokedAt).toBeNull();
    // Already ended: nothing left to revoke. A family id is not a login session: nothing happens to it.
    expect(await store.endBrowserSession(browser.id, application.id, now + 8)).toEqual({ loginSessionRevoked: false, familiesRevoked: 0 });
    expect(await store.endBrowserSession(otherAppFamily.id, null, now + 8)).toEqual({ loginSessionRevoked: false, familiesRevoked: 0 });
    expect((await store.getSession(otherAppFamily.id))!.revokedAt).toBeNull();
    // Without an application only the login session ends.
    expect(await store.endBrowserSession(anotherBrowser.id, null, now + 9)).toEqual({ loginSessionRevoked: true, familiesRevoked: 0 });
    expect((await store.getSession(otherBrowserFamily.id))!.revokedAt).toBeNull();
  });

  it('RP-Initiated Logout 1.0 §2: revokeBrowserSessionFamilies ends that sign-in\'s families of one application and one person only, never the sign-in', async () => {
    const other: Application = { ...application, id: 'app_contract_hinted_other', publishableKey: 'pk_test_contract_hinted_other' };
    await store.createApplication(other, hashSecret('sk_test_hinted_other'), now);
    const started = async (kind: 'login' | 'oauth', applicationId: string, browserSessionId: string | null, consumerId = consumer.id) => {
      const id = generateId('ses_');
      const tokenHash = hashSecret(generateSecret('rt_'));
      await store.startSession(
        { id, organizationId, applicationId, consumerId, type: 'authenticated', kind, grantId: null, scope: null, codeHash: null, browserSessionId, createdAt: now, revokedAt: null },
        kind === 'login' ? null : { tokenHash, sessionId: id, createdAt: now, expiresAt: now + 1000_000, rotatedAt: null, revokedAt: null },
      );
      return { id, tokenHash };
    };
    const signIn = await started('login', application.id, null);
    const family = await started('oauth', application.id, signIn.id);
    const otherAppFamily = await started('oauth', other.id, signIn.id);
    expect(await store.revokeBrowserSessionFamilies(signIn.id, application.id, 'con_someone_else', now + 5)).toBe(0);
    expect(await store.revokeBrowserSessionFamilies(signIn.id, application.id, consumer.id, now + 5)).toBe(1);
    expect((await store.getSession(family.id))!.revokedAt).toBe(now + 5);
    expect((await store.findRefreshToken(family.tokenHash))!.revokedAt).toBe(now + 5);
    for (const alive of [signIn, otherAppFamily]) expect((await store.getSession(alive.id))!.revokedAt).toBeNull();
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
    const attempt = (pool: UserPool, codeHash: string) => store.redeemOtpCode({ pool, destination, codeHash, maxAttempts: 5, now: now + 1 }, null, () => ({}));
    expect(await attempt(test, 'hash-live')).toEqual({ outcome: 'wrong', attemptsLeft: 4 });
    expect(await attempt(live, 'hash-live')).toMatchObject({ outcome: 'verified', code: { environment: 'live' } });
    await store.discardOtpCode(live, destination, 'hash-test');
    expect(await attempt(test, 'hash-test')).toMatchObject({ outcome: 'verified', code: { environment: 'test' } });
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

  it('addPostLogoutRedirectUri: 20 concurrent additions → all 20 kept, none twice, and the redirect URIs untouched', async () => {
    const target: Application = {
      ...application, id: 'app_contract_logout_uris', publishableKey: 'pk_test_contract_logout_uris',
      redirectUris: ['https://a.example/cb'], postLogoutRedirectUris: ['https://a.example/bye'],
    };
    await store.createApplication(target, hashSecret('sk_test_logout_uris'), now);
    const added = Array.from({ length: 20 }, (_, i) => `https://a.example/bye${i}`);
    await Promise.all([...added, ...added.slice(0, 5)].map((uri) => store.addPostLogoutRedirectUri(target.id, uri)));
    const stored = (await store.getApplication(target.id))!;
    expect([...stored.postLogoutRedirectUris].sort()).toEqual(['https://a.example/bye', ...added].sort());
    expect(stored.redirectUris).toEqual(['https://a.example/cb']);
    expect(await store.addPostLogoutRedirectUri('app_nobody', 'https://a.example/x')).toBeUndefined();
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
  it('RFC 9449 §11.1 recordDpopProof: 20 concurrent records of one jti → exactly one wins; an expired one may be taken over; housekeeping drops it', async () => {
    const jtiHash = hashSecret(generateId('jti_', now));
    const results = await Promise.all(Array.from({ length: 20 }, () => store.recordDpopProof({ jtiHash, expiresAt: now + 60_000 }, now)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.recordDpopProof({ jtiHash, expiresAt: now + 60_000 }, now + 59_999)).toBe(false);
    // Past its expiry the proof is refused for its iat anyway; the row is taken over rather than kept forever.
    expect(await store.recordDpopProof({ jtiHash, expiresAt: now + 120_000 }, now + 60_000)).toBe(true);
    expect(await store.recordDpopProof({ jtiHash, expiresAt: now + 120_000 }, now + 60_001)).toBe(false);
    const cutoffs = { expiredBefore: now + 120_000, codesExpiredBefore: 0, sessionsBefore: 0, outboxBefore: 0 };
    expect(await store.purgeExpired('dpop_proofs', cutoffs, 100)).toBe(0);
    expect(await store.purgeExpired('dpop_proofs', { ...cutoffs, expiredBefore: now + 120_001 }, 100)).toBeGreaterThanOrEqual(1);
    expect(await store.recordDpopProof({ jtiHash, expiresAt: now + 60_000 }, now)).toBe(true);
  });

  it('RFC 9449 §5: a session keeps the DPoP key thumbprint it was started with (null when unbound)', async () => {
    const sessionOf = (id: string) => ({
      id, organizationId, applicationId: application.id, consumerId: consumer.id, type: 'authenticated' as const, kind: 'consumer' as const,
      grantId: null, scope: null, codeHash: null, createdAt: now, revokedAt: null,
    });
    const bound = { ...sessionOf('ses_dpop_bound'), dpopJkt: 'jkt-thumbprint' };
    await store.startSession(bound, null);
    expect((await store.getSession(bound.id))!.dpopJkt).toBe('jkt-thumbprint');
    await store.startSession(sessionOf('ses_dpop_unbound'), null);
    expect((await store.getSession('ses_dpop_unbound'))!.dpopJkt).toBeNull();
  });

  it('RFC 9449 §5 bindSessionToDpopKey: 20 concurrent binds of an unbound family with different keys → exactly one wins and the key never changes', async () => {
    const id = 'ses_dpop_first_proof';
    await store.startSession({
      id, organizationId, applicationId: application.id, consumerId: consumer.id, type: 'authenticated', kind: 'oauth',
      grantId: null, scope: null, codeHash: null, createdAt: now, revokedAt: null,
    }, null);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.bindSessionToDpopKey(id, `jkt-${i}`)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = `jkt-${results.indexOf(true)}`;
    expect((await store.getSession(id))!.dpopJkt).toBe(winner);
    expect(await store.bindSessionToDpopKey(id, 'jkt-later')).toBe(false);
    expect(await store.bindSessionToDpopKey('ses_dpop_bound', 'jkt-other')).toBe(false);
    expect((await store.getSession('ses_dpop_bound'))!.dpopJkt).toBe('jkt-thumbprint');
    expect(await store.bindSessionToDpopKey('ses_nobody', 'jkt-0')).toBe(false);
    expect((await store.getSession(id))!.dpopJkt).toBe(winner);
  });

  it('SPEC §10: admin tokens — found by hash only, the hash unique, listed in id order per organization, revoked by exactly one of 20 concurrent calls', async () => {
    const other = 'org_contract_admin';
    await store.createOrganization({
      id: other, name: 'contract-admin', settings: { ...DEFAULT_ORGANIZATION_SETTINGS }, branding: { displayName: null, logoUrl: null, accentColor: null }, createdAt: now,
    });
    const token = (id: string, organization: string | null) => ({ id, name: id, organizationId: organization, readOnly: false, createdAt: now, revokedAt: null, lastUsedAt: null });
    const ids = Array.from({ length: 5 }, (_, i) => generateId('adm_', now + i));
    await store.createAdminToken(token(ids[0]!, organizationId), hashSecret('lka_0'));
    await store.createAdminToken(token(ids[1]!, other), hashSecret('lka_1'));
    await store.createAdminToken(token(ids[2]!, null), hashSecret('lka_2'));
    await store.createAdminToken(token(ids[3]!, organizationId), hashSecret('lka_3'));
    await expect(store.createAdminToken(token(ids[4]!, null), hashSecret('lka_3'))).rejects.toThrow();
    expect(await store.findAdminTokenByHash(hashSecret('lka_1'))).toEqual({ token: token(ids[1]!, other), tokenHash: hashSecret('lka_1') });
    expect(await store.findAdminTokenByHash(hashSecret('lka_4'))).toBeUndefined();

    const all = await store.listAdminTokens({}, { after: null, limit: 10 });
    expect(all.map((t) => t.id)).toEqual(ids.slice(0, 4));
    expect((await store.listAdminTokens({ organizationId }, { after: null, limit: 10 })).map((t) => t.id)).toEqual([ids[0], ids[3]]);
    expect((await store.listAdminTokens({}, { after: ids[1]!, limit: 1 })).map((t) => t.id)).toEqual([ids[2]]);

    const outcomes = await Promise.all(Array.from({ length: 20 }, () => store.revokeAdminToken(ids[0]!, now + 10)));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect((await store.getAdminToken(ids[0]!))!.revokedAt).toBe(now + 10);
    expect(await store.revokeAdminToken('adm_unknown', now)).toBe(false);
  });

  it('SPEC §10: touchAdminToken writes lastUsedAt at most once per interval', async () => {
    const id = generateId('adm_', now);
    await store.createAdminToken({ id, name: 't', organizationId: null, readOnly: true, createdAt: now, revokedAt: null, lastUsedAt: null }, hashSecret(generateSecret('lka_')));
    await store.touchAdminToken(id, now + 1_000, 60_000);
    expect((await store.getAdminToken(id))!.lastUsedAt).toBe(now + 1_000);
    await store.touchAdminToken(id, now + 30_000, 60_000);
    expect((await store.getAdminToken(id))!.lastUsedAt).toBe(now + 1_000);
    await store.touchAdminToken(id, now + 61_000, 60_000);
    expect((await store.getAdminToken(id))!.lastUsedAt).toBe(now + 61_000);
  });
  it('SPEC §10: pageAuditEvents filters by organization, type, actor (data.actor.id), consumer (data.consumerId) and time, in id order', async () => {
    const org = 'org_audit_contract';
    const at = now + 5_000_000;
    const event = (i: number, organization: string | null, type: string, data: Record<string, unknown>) =>
      ({ id: generateId('evt_', at + i), organizationId: organization, type, data, createdAt: at + i });
    const events = [
      event(0, org, 'consumer.created', { consumerId: 'con_a' }),
      event(1, org, 'organization.branding_changed', { actor: { type: 'admin_token', id: 'adm_x', name: 'x' } }),
      event(2, null, 'signing_key.rotated', { kid: 'k', actor: { type: 'admin_token', id: 'adm_x', name: 'x' } }),
      event(3, org, 'session.revoked', { consumerId: 'con_a', actor: { type: 'admin_token', id: 'adm_y', name: 'y' } }),
    ];
    await store.recordAuditEvents(events);
    const ids = async (filter: Parameters<typeof store.pageAuditEvents>[0], limit = 10, after: string | null = null) =>
      (await store.pageAuditEvents({ from: at, ...filter }, { after, limit })).map((e) => e.id);
    expect(await ids({})).toEqual(events.map((e) => e.id));
    expect(await ids({ organizationId: org })).toEqual([events[0]!.id, events[1]!.id, events[3]!.id]);
    expect(await ids({ actorId: 'adm_x' })).toEqual([events[1]!.id, events[2]!.id]);
    expect(await ids({ consumerId: 'con_a' })).toEqual([events[0]!.id, events[3]!.id]);
    expect(await ids({ consumerId: 'con_a', actorId: 'adm_y', type: 'session.revoked' })).toEqual([events[3]!.id]);
    expect(await ids({ from: at + 1, to: at + 3 })).toEqual([events[1]!.id, events[2]!.id]);
    expect(await ids({}, 2, events[0]!.id)).toEqual([events[1]!.id, events[2]!.id]);
  });

  it('SPEC §10: applications — paged in id order with organization and environment filters, updated in place (lists replaced), disabled and enabled', async () => {
    const other = 'org_contract_apps';
    await store.createOrganization({
      id: other, name: 'contract-apps', settings: { ...DEFAULT_ORGANIZATION_SETTINGS }, branding: { displayName: null, logoUrl: null, accentColor: null }, createdAt: now,
    });
    const ids = Array.from({ length: 4 }, (_, i) => generateId('app_', now + i));
    const made = ids.map((id, i): Application => ({
      ...application, id, organizationId: other, publishableKey: `pk_test_contract_apps_${i}`, environment: i % 2 === 0 ? 'test' : 'live',
    }));
    for (const [i, app] of made.entries()) await store.createApplication(app, hashSecret(`sk_test_apps_${i}`), now);
    expect((await store.listApplicationsPage({ organizationId: other }, { after: null, limit: 10 })).map((a) => a.id)).toEqual(ids);
    expect((await store.listApplicationsPage({ organizationId: other, environment: 'live' }, { after: null, limit: 10 })).map((a) => a.id)).toEqual([ids[1], ids[3]]);
    expect((await store.listApplicationsPage({ organizationId: other }, { after: ids[0]!, limit: 2 })).map((a) => a.id)).toEqual([ids[1], ids[2]]);
    expect((await store.listApplicationsPage({}, { after: null, limit: 100 })).map((a) => a.id)).toEqual(expect.arrayContaining([application.id, ...ids]));

    const updated = await store.updateApplication(ids[0]!, {
      name: 'renamed', redirectUris: ['https://a.example/cb'], allowedScopes: ['openid'], allowedOrigins: [], postLogoutRedirectUris: ['https://a.example/bye'],
      pkcePolicy: 'optional', logoUrl: 'https://cdn.example/l.png', accentColor: '#000000', isFirstParty: true,
    });
    expect(updated).toEqual({
      ...made[0], name: 'renamed', redirectUris: ['https://a.example/cb'], allowedScopes: ['openid'], allowedOrigins: [], postLogoutRedirectUris: ['https://a.example/bye'],
      pkcePolicy: 'optional', logoUrl: 'https://cdn.example/l.png', accentColor: '#000000', isFirstParty: true,
    });
    expect(await store.updateApplication(ids[0]!, { redirectUris: [] })).toEqual({ ...updated, redirectUris: [] });
    expect(await store.getApplication(ids[1]!)).toEqual(made[1]);
    expect(await store.updateApplication('app_unknown', { name: 'x' })).toBeUndefined();

    expect((await store.setApplicationDisabledAt(ids[1]!, now + 5))!.disabledAt).toBe(now + 5);
    expect((await store.findApplicationByPublishableKey(made[1]!.publishableKey))!.disabledAt).toBe(now + 5);
    expect((await store.setApplicationDisabledAt(ids[1]!, null))!.disabledAt).toBeNull();
    expect(await store.setApplicationDisabledAt('app_unknown', now)).toBeUndefined();
  });

  /** A fresh consumer of the contract pool with a `latchkey` email identity. */
  async function personWithEmail(fields: Partial<Consumer> = {}) {
    const id = generateId('con_');
    const email = `${id.toLowerCase()}@example.com`;
    const person: Consumer = { ...consumer, id, email, ...fields };
    await store.createConsumerWithIdentity(person, generateId('idn_'), { provider: 'email', issuer: 'latchkey', subject: email });
    return person;
  }

  it('SPEC §10: disableConsumer revokes every session in its transaction; no session is written for a disabled consumer, even by sign-ins racing the disable', async () => {
    const person = await personWithEmail();
    const live = sessionWrites(person.id);
    await store.startSession(live.writes.session!.session, live.writes.session!.firstRefreshToken, live.writes.auditEvents);
    const racing = Array.from({ length: 20 }, () => sessionWrites(person.id));
    const outcomes = await Promise.allSettled([
      ...racing.slice(0, 10).map((r) => store.startSession(r.writes.session!.session, r.writes.session!.firstRefreshToken, r.writes.auditEvents)),
      store.disableConsumer(person.id, now + 1),
      ...racing.slice(10).map((r) => store.startSession(r.writes.session!.session, r.writes.session!.firstRefreshToken, r.writes.auditEvents)),
    ]);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect((outcome.reason as SignInConflict).reason).toBe('consumer_disabled');
    }
    // Whatever the interleaving, nothing of the person is live afterwards.
    for (const { id, tokenHash } of [live, ...racing]) {
      const session = await store.getSession(id);
      if (session) expect(session.revokedAt, id).not.toBeNull();
      const token = await store.findRefreshToken(tokenHash);
      if (token) expect(token.revokedAt).not.toBeNull();
    }
    expect((await store.getConsumer(person.id))!.disabledAt).toBe(now + 1);
    const late = sessionWrites(person.id);
    await expect(store.startSession(late.writes.session!.session, late.writes.session!.firstRefreshToken, late.writes.auditEvents)).rejects.toMatchObject({ reason: 'consumer_disabled' });
    expect(await store.getSession(late.id)).toBeUndefined();
    expect(await store.disableConsumer(person.id, now + 2)).toEqual({ disabled: false, sessionsRevoked: 0 });
    expect(await store.enableConsumer(person.id, now + 3)).toBe(true);
    expect(await store.enableConsumer(person.id, now + 3)).toBe(false);
    await store.startSession(late.writes.session!.session, late.writes.session!.firstRefreshToken, late.writes.auditEvents);
    expect((await store.getSession(late.id))!.revokedAt).toBeNull();
  });

  it('SPEC §10: updateConsumerContacts moves the email identity with the address, refuses another person\'s (UniqueConflict, nothing changed)', async () => {
    const person = await personWithEmail({ emailVerifiedAt: now });
    const other = await personWithEmail();
    const updated = await store.updateConsumerContacts(person.id, { email: 'moved@example.com', fullName: 'M' }, now + 5);
    expect(updated).toMatchObject({ email: 'moved@example.com', emailVerifiedAt: null, fullName: 'M', updatedAt: now + 5 });
    expect(await store.listExternalIdentities(person.id)).toEqual([{ provider: 'email', issuer: 'latchkey', subject: 'moved@example.com' }]);
    await expect(store.updateConsumerContacts(person.id, { email: other.email, fullName: 'N' }, now + 6)).rejects.toBeInstanceOf(UniqueConflict);
    expect(await store.getConsumer(person.id)).toMatchObject({ email: 'moved@example.com', fullName: 'M' });
    expect(await store.updateConsumerContacts('con_missing', { fullName: 'x' }, now)).toBeUndefined();
  });

  it('SPEC §10: eraseConsumer removes the person (and guests absorbed into them) from every table in one transaction and anonymises their audit events', async () => {
    const person = await personWithEmail({ phone: '+14155550999', fullName: 'Erin Contract' });
    await store.attachExternalIdentity(person.id, generateId('idn_'), { provider: 'shop', issuer: 'https://shop.example', subject: 'erase-me-subject' }, now);
    const guest: Consumer = { ...consumer, id: generateId('con_'), type: 'guest', email: 'guest-erase@example.com' };
    await store.createConsumer(guest);
    expect(await store.markGuestAbsorbed(guest.id, person.id, now)).toBe(true);
    const bystander = await personWithEmail({ fullName: 'Bystander' });
    const session = sessionWrites(person.id);
    await store.startSession(session.writes.session!.session, session.writes.session!.firstRefreshToken, session.writes.auditEvents);
    const guestSession = sessionWrites(guest.id);
    await store.startSession(guestSession.writes.session!.session, guestSession.writes.session!.firstRefreshToken, guestSession.writes.auditEvents);
    const kept = sessionWrites(bystander.id);
    await store.startSession(kept.writes.session!.session, kept.writes.session!.firstRefreshToken, kept.writes.auditEvents);
    const grant = await store.recordGrant({ id: generateId('grt_'), organizationId, applicationId: application.id, consumerId: person.id, scope: 'openid', createdAt: now, updatedAt: now, revokedAt: null });
    await store.createAuthorizationCode({
      codeHash: hashSecret(generateSecret('ac_')), organizationId, applicationId: application.id, consumerId: person.id, grantId: grant.id, redirectUri: 'https://c.example/cb',
      codeChallenge: 'x'.repeat(43), scope: 'openid', nonce: null, authTime: now, browserSessionId: null, claims: null, createdAt: now, expiresAt: now + 60_000, consumedAt: null,
    });
    await store.createExchangeCode({
      codeHash: hashSecret(generateSecret('exc_')), organizationId, applicationId: application.id, consumerId: person.id, codeChallenge: null, resolution: 'existing',
      createdAt: now, expiresAt: now + 60_000, consumedAt: null,
    });
    for (const destination of [person.email!, person.phone!]) {
      await store.replaceOtpCode({
        organizationId, environment: 'test', destination, channel: destination.includes('@') ? 'email' : 'sms', applicationId: application.id, codeHash: hashSecret(destination),
        name: 'Erin Contract', createdAt: now, expiresAt: now + 600_000, attempts: 0, consumedAt: null,
      }, 0);
      await store.appendDevMessage({ id: generateId('msg_'), organizationId, channel: 'email', recipient: destination, subject: 'code', body: '123456', createdAt: now });
    }
    await store.createAuthorizationRequest({
      id: generateId('arq_'), organizationId, applicationId: application.id, redirectUri: 'https://c.example/cb', state: null, codeChallenge: null, scope: 'openid', nonce: null,
      prompt: null, maxAge: null, loginHint: person.email, idTokenHintSubject: null, claims: null, createdAt: now, expiresAt: now + 600_000, consumedAt: null,
    });
    await store.recordAuditEvents([
      { id: generateId('evt_'), organizationId, type: 'guest.absorbed', data: { guestId: guest.id, consumerId: person.id }, createdAt: now },
      { id: generateId('evt_'), organizationId, type: 'login.failed', data: { consumerId: person.id, note: `sent to ${person.email}`, applicationId: application.id }, createdAt: now },
      { id: generateId('evt_'), organizationId, type: 'login.failed', data: { consumerId: bystander.id }, createdAt: now },
    ]);

    const erased = await store.eraseConsumer(person.id, 'anon_contract', (counts) => [
      { id: generateId('evt_'), organizationId, type: 'consumer.erased', data: { consumerId: 'anon_contract', erased: counts }, createdAt: now },
    ]);
    expect(erased).toMatchObject({
      consumers: 2, identities: 2, sessions: 2, refreshTokens: 2, grants: 1, authorizationCodes: 1, exchangeCodes: 1, otpCodes: 2, devMessages: 2, passkeys: 0, authorizationRequests: 1,
    });
    expect(erased!.auditEventsAnonymised).toBe(2);
    expect(await store.getConsumer(person.id)).toBeUndefined();
    expect(await store.getConsumer(guest.id)).toBeUndefined();
    expect(await store.getSession(session.id)).toBeUndefined();
    expect(await store.findRefreshToken(session.tokenHash)).toBeUndefined();
    expect(await store.findPasswordUser(person, person.email!)).toBeUndefined();
    expect(await store.listDevMessages({ recipient: person.email! })).toEqual([]);
    const events = await store.listAuditEvents(organizationId);
    const text = JSON.stringify(events);
    for (const value of [person.id, guest.id, person.email!, person.phone!, 'erase-me-subject', guest.email!]) expect(text).not.toContain(value);
    expect(events.find((e) => e.type === 'guest.absorbed' && e.data.consumerId === 'anon_contract')!.data).toEqual({ guestId: 'anon_contract', consumerId: 'anon_contract' });
    expect(events.find((e) => e.type === 'login.failed' && e.data.consumerId === 'anon_contract')!.data).toEqual({ consumerId: 'anon_contract', applicationId: application.id });
    expect(events.find((e) => e.type === 'consumer.erased')!.data.erased).toEqual(erased);
    // The bystander keeps everything.
    expect(await store.getConsumer(bystander.id)).toBeDefined();
    expect((await store.getSession(kept.id))!.revokedAt).toBeNull();
    expect(events.some((e) => e.data.consumerId === bystander.id)).toBe(true);
    expect(await store.eraseConsumer(person.id, 'anon_again', () => [])).toBeUndefined();
  });
  /** A passkey of `consumerId`, not yet stored. */
  function newPasskey(consumerId: string, signCount = 0): Passkey {
    return {
      id: generateId('pkey_'), organizationId, consumerId, credentialId: generateSecret('cred_'), publicKey: 'cose-key', signCount, transports: ['internal'],
      backupEligible: true, backedUp: false, deviceType: 'multiDevice', aaguid: '00000000-0000-0000-0000-000000000000', name: 'Passkey', createdAt: now, lastUsedAt: null,
    };
  }

  async function newWebAuthnChallenge(purpose: 'registration' | 'authentication', consumerId: string | null, expiresAt = now + 300_000) {
    const challengeHash = hashSecret(generateSecret('wac_'));
    await store.createWebAuthnChallenge({ challengeHash, organizationId, applicationId: application.id, purpose, consumerId, createdAt: now, expiresAt, consumedAt: null });
    return challengeHash;
  }

  it('SPEC §12 / SPEC §4: consumeWebAuthnChallenge — 30 concurrent consumes → exactly one; never another application\'s, another purpose\'s or an expired one', async () => {
    const challengeHash = await newWebAuthnChallenge('authentication', null);
    const match = { challengeHash, applicationId: application.id, purpose: 'authentication' as const, now: now + 1 };
    expect(await store.consumeWebAuthnChallenge({ ...match, applicationId: 'app_other' })).toBeUndefined();
    expect(await store.consumeWebAuthnChallenge({ ...match, purpose: 'registration' })).toBeUndefined();
    expect(await store.consumeWebAuthnChallenge({ ...match, now: now + 300_000 })).toBeUndefined();
    const results = await Promise.all(Array.from({ length: 30 }, () => store.consumeWebAuthnChallenge(match)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await store.findWebAuthnChallenge(challengeHash))!.consumedAt).toBe(now + 1);
  });

  it('RFC 9126 §4: consumePushedAuthorizationRequest — 30 concurrent consumes → exactly one, with its parameters; never another client\'s or an expired one; housekeeping drops it after expiry', async () => {
    const requestUriHash = hashSecret(generateSecret(''));
    await store.createPushedAuthorizationRequest({
      requestUriHash, organizationId, applicationId: application.id, parameters: { response_type: 'code', state: 'ünïcode' },
      resources: ['https://api.example/a', 'https://api.example/b'], createdAt: now, expiresAt: now + 60_000, consumedAt: null,
    });
    const match = { requestUriHash, applicationId: application.id, now: now + 1 };
    expect(await store.consumePushedAuthorizationRequest({ ...match, applicationId: 'app_other' })).toBeUndefined();
    expect(await store.consumePushedAuthorizationRequest({ ...match, now: now + 60_000 })).toBeUndefined();
    const results = await Promise.all(Array.from({ length: 30 }, () => store.consumePushedAuthorizationRequest(match)));
    const winners = results.filter(Boolean);
    expect(winners).toEqual([{
      requestUriHash, organizationId, applicationId: application.id, parameters: { response_type: 'code', state: 'ünïcode' },
      resources: ['https://api.example/a', 'https://api.example/b'], createdAt: now, expiresAt: now + 60_000, consumedAt: now + 1,
    }]);
    const cutoffs = { expiredBefore: now + 60_000, codesExpiredBefore: 0, sessionsBefore: 0, outboxBefore: 0 };
    expect(await store.purgeExpired('pushed_authorization_requests', cutoffs, 100)).toBe(0);
    expect(await store.purgeExpired('pushed_authorization_requests', { ...cutoffs, expiredBefore: now + 60_001 }, 100)).toBe(1);
  });

  it('SPEC §12: registerPasskey — the registration challenge of this consumer only, once; a credential id registered twice → UniqueConflict, nothing written', async () => {
    const passkey = newPasskey(consumer.id);
    const someone = { ...consumer, id: generateId('con_') };
    await store.createConsumer(someone);
    const other = await newWebAuthnChallenge('registration', someone.id);
    expect(await store.registerPasskey({ challengeHash: other, applicationId: application.id, now: now + 1 }, passkey, [])).toBe(false);
    const challengeHash = await newWebAuthnChallenge('registration', consumer.id);
    const event = { id: generateId('evt_'), organizationId, type: 'passkey.registered', data: { passkeyId: passkey.id }, createdAt: now };
    const results = await Promise.all(Array.from({ length: 10 }, () => store.registerPasskey({ challengeHash, applicationId: application.id, now: now + 1 }, passkey, [event]).catch((e) => e)));
    expect(results.filter((r) => r === true)).toHaveLength(1);
    expect(await store.listPasskeys(consumer.id)).toContainEqual(passkey);
    expect((await store.listAuditEvents(organizationId, 'passkey.registered')).filter((e) => e.data.passkeyId === passkey.id)).toHaveLength(1);
    // The same credential id for a fresh challenge: refused, and the challenge stays unused.
    const again = await newWebAuthnChallenge('registration', consumer.id);
    await expect(store.registerPasskey({ challengeHash: again, applicationId: application.id, now: now + 2 }, { ...passkey, id: generateId('pkey_') }, [])).rejects.toBeInstanceOf(UniqueConflict);
    expect((await store.findWebAuthnChallenge(again))!.consumedAt).toBeNull();
  });

  it('WebAuthn L3 §7.2 step 21: redeemPasskeyAssertion stores a counter that moved forward (or stays 0) and refuses one that did not — the challenge is spent, nothing else written', async () => {
    const passkey = newPasskey(consumer.id, 5);
    await store.registerPasskey({ challengeHash: await newWebAuthnChallenge('registration', consumer.id), applicationId: application.id, now }, passkey, []);
    const redeem = async (signCount: number) => {
      const challengeHash = await newWebAuthnChallenge('authentication', null);
      const planned = sessionWrites(consumer.id, now + 1);
      const result = await store.redeemPasskeyAssertion({ challengeHash, applicationId: application.id, now: now + 1 }, { passkeyId: passkey.id, signCount, backedUp: true }, () => planned.writes);
      return { result, challengeHash, written: await writtenFor(planned.id, planned.tokenHash) };
    };
    const stale = await redeem(5);
    expect(stale.result).toEqual({ outcome: 'stale_counter' });
    expect((await store.findWebAuthnChallenge(stale.challengeHash))!.consumedAt).toBe(now + 1);
    expect(stale.written).toEqual({ session: undefined, refreshToken: undefined, events: 0 });
    const fresh = await redeem(6);
    expect(fresh.result).toMatchObject({ outcome: 'signed_in', owner: { id: consumer.id } });
    expect(fresh.written.session).toMatchObject({ consumerId: consumer.id });
    expect(await store.findPasskeyByCredentialId(passkey.credentialId)).toEqual({ ...passkey, signCount: 6, backedUp: true, lastUsedAt: now + 1 });
    // A challenge answers once: a second redemption of it finds nothing.
    const used = await store.redeemPasskeyAssertion({ challengeHash: stale.challengeHash, applicationId: application.id, now: now + 1 }, { passkeyId: passkey.id, signCount: 7, backedUp: true }, () => ({}));
    expect(used).toEqual({ outcome: 'challenge_unavailable' });

    const zero = newPasskey(consumer.id, 0);
    await store.registerPasskey({ challengeHash: await newWebAuthnChallenge('registration', consumer.id), applicationId: application.id, now }, zero, []);
    for (let i = 0; i < 2; i++) {
      const challengeHash = await newWebAuthnChallenge('authentication', null);
      expect((await store.redeemPasskeyAssertion({ challengeHash, applicationId: application.id, now: now + 1 }, { passkeyId: zero.id, signCount: 0, backedUp: false }, () => ({}))).outcome).toBe('signed_in');
    }
  });

  it('issue 12.1: redeemPasskeyAssertion — a failure after the consumption leaves the challenge unused and the counter unchanged', async () => {
    const passkey = newPasskey(consumer.id, 1);
    await store.registerPasskey({ challengeHash: await newWebAuthnChallenge('registration', consumer.id), applicationId: application.id, now }, passkey, []);
    const challengeHash = await newWebAuthnChallenge('authentication', null);
    await expect(store.redeemPasskeyAssertion({ challengeHash, applicationId: application.id, now: now + 1 }, { passkeyId: passkey.id, signCount: 2, backedUp: false }, () => {
      throw new Error('crash between consuming and creating');
    })).rejects.toThrow('crash between');
    expect((await store.findWebAuthnChallenge(challengeHash))!.consumedAt).toBeNull();
    expect((await store.findPasskeyByCredentialId(passkey.credentialId))!.signCount).toBe(1);
  });

  it('SPEC §12: renamePasskey and deletePasskey act on the consumer\'s own passkey only', async () => {
    const passkey = newPasskey(consumer.id);
    await store.registerPasskey({ challengeHash: await newWebAuthnChallenge('registration', consumer.id), applicationId: application.id, now }, passkey, []);
    expect(await store.renamePasskey(passkey.id, 'con_someone_else', 'x')).toBeUndefined();
    expect(await store.renamePasskey(passkey.id, consumer.id, 'Desk key')).toEqual({ ...passkey, name: 'Desk key' });
    expect(await store.deletePasskey(passkey.id, 'con_someone_else')).toBe(false);
    expect(await store.deletePasskey(passkey.id, consumer.id)).toBe(true);
    expect(await store.deletePasskey(passkey.id, consumer.id)).toBe(false);
    expect(await store.findPasskeyByCredentialId(passkey.credentialId)).toBeUndefined();
  });

  describe('SPEC §12: TOTP second factor and recovery codes', () => {
    async function personWithTotp(step = 100) {
      const person: Consumer = { ...consumer, id: generateId('con_'), createdAt: now, updatedAt: now };
      await store.createConsumer(person);
      expect(await store.startTotpEnrollment({ consumerId: person.id, organizationId, secretSealed: 'sealed-1', createdAt: now })).toBe(true);
      const codes = Array.from({ length: 10 }, (_, i) => `hash-${person.id}-${i}`);
      expect(await store.confirmTotpEnrollment({ consumerId: person.id, secretSealed: 'sealed-1', step, recoveryCodeHashes: codes, now }, [])).toBe(true);
      return { person, codes };
    }

    it('an enrollment is pending until confirmed; a restart replaces a pending secret, never a confirmed one', async () => {
      const person: Consumer = { ...consumer, id: generateId('con_') };
      await store.createConsumer(person);
      expect(await store.getTotpFactor(person.id)).toBeUndefined();
      expect(await store.startTotpEnrollment({ consumerId: person.id, organizationId, secretSealed: 'first', createdAt: now })).toBe(true);
      expect(await store.startTotpEnrollment({ consumerId: person.id, organizationId, secretSealed: 'second', createdAt: now + 1 })).toBe(true);
      expect(await store.getTotpFactor(person.id)).toEqual({ consumerId: person.id, organizationId, secretSealed: 'second', createdAt: now + 1, confirmedAt: null, lastUsedStep: null });
      expect((await store.getConsumer(person.id))!.totpEnabledAt).toBeNull();
      // The first code was checked against the replaced secret: no confirmation.
      expect(await store.confirmTotpEnrollment({ consumerId: person.id, secretSealed: 'first', step: 7, recoveryCodeHashes: ['x'], now }, [])).toBe(false);
      const event = { id: generateId('evt_'), organizationId, type: 'totp.enabled', data: { consumerId: person.id }, createdAt: now };
      expect(await store.confirmTotpEnrollment({ consumerId: person.id, secretSealed: 'second', step: 7, recoveryCodeHashes: ['a', 'b'], now: now + 5 }, [event])).toBe(true);
      expect(await store.getTotpFactor(person.id)).toMatchObject({ confirmedAt: now + 5, lastUsedStep: 7 });
      expect((await store.getConsumer(person.id))!.totpEnabledAt).toBe(now + 5);
      expect(await store.countUnusedRecoveryCodes(person.id)).toBe(2);
      expect((await store.listAuditEvents(organizationId, 'totp.enabled')).map((e) => e.id)).toContain(event.id);
      expect(await store.startTotpEnrollment({ consumerId: person.id, organizationId, secretSealed: 'third', createdAt: now })).toBe(false);
      expect((await store.getTotpFactor(person.id))!.secretSealed).toBe('second');
      expect(await store.confirmTotpEnrollment({ consumerId: person.id, secretSealed: 'second', step: 8, recoveryCodeHashes: [], now }, [])).toBe(false);
    });

    it('RFC 6238 §5.2: a time step is accepted once, and never one older than the last accepted', async () => {
      const { person } = await personWithTotp(100);
      const nothing = () => ({});
      expect(await store.redeemSecondFactor(person.id, { kind: 'totp', step: 100 }, now, nothing)).toBeUndefined();
      expect(await store.redeemSecondFactor(person.id, { kind: 'totp', step: 99 }, now, nothing)).toBeUndefined();
      expect(await store.redeemSecondFactor(person.id, { kind: 'totp', step: 101 }, now, nothing)).toEqual({ signedIn: undefined });
      expect(await store.redeemSecondFactor(person.id, { kind: 'totp', step: 101 }, now, nothing)).toBeUndefined();
      expect((await store.getTotpFactor(person.id))!.lastUsedStep).toBe(101);
    });

    it('SPEC §4: concurrent uses of one TOTP step or one recovery code → exactly one winner', async () => {
      const { person, codes } = await personWithTotp(100);
      const steps = await Promise.all(Array.from({ length: 10 }, () => store.redeemSecondFactor(person.id, { kind: 'totp', step: 105 }, now, () => ({}))));
      expect(steps.filter(Boolean)).toHaveLength(1);
      const recovery = await Promise.all(Array.from({ length: 10 }, () => store.redeemSecondFactor(person.id, { kind: 'recovery_code', codeHash: codes[0]! }, now, () => ({}))));
      expect(recovery.filter(Boolean)).toHaveLength(1);
      expect(await store.countUnusedRecoveryCodes(person.id)).toBe(9);
    });

    it('issue 12.1: what a second factor completes commits with its use; a failure leaves the code unused', async () => {
      const { person, codes } = await personWithTotp(100);
      await expect(store.redeemSecondFactor(person.id, { kind: 'recovery_code', codeHash: codes[1]! }, now, () => { throw new Error('boom'); })).rejects.toThrow('boom');
      expect(await store.countUnusedRecoveryCodes(person.id)).toBe(10);
      const { id, tokenHash, writes } = sessionWrites(person.id);
      expect(await store.redeemSecondFactor(person.id, { kind: 'recovery_code', codeHash: codes[1]! }, now, () => writes)).toEqual({ signedIn: undefined });
      expect(await writtenFor(id, tokenHash)).toMatchObject({ session: { id }, refreshToken: { tokenHash }, events: 1 });
      expect(await store.redeemSecondFactor(person.id, { kind: 'recovery_code', codeHash: 'unknown' }, now, () => ({}))).toBeUndefined();
      // A spent challenge rolls the step back.
      const spent = { jti: generateId('sfc_'), applicationId: application.id, expiresAt: now + 1000 };
      expect(await store.redeemSecondFactor(person.id, { kind: 'totp', step: 200 }, now, () => ({ spentTokenId: spent }))).toBeDefined();
      await expect(store.redeemSecondFactor(person.id, { kind: 'totp', step: 201 }, now, () => ({ spentTokenId: spent }))).rejects.toBeInstanceOf(SignInConflict);
      expect((await store.getTotpFactor(person.id))!.lastUsedStep).toBe(200);
    });

    it('a pending enrollment proves nothing; removal ends TOTP and every recovery code', async () => {
      const pending: Consumer = { ...consumer, id: generateId('con_') };
      await store.createConsumer(pending);
      await store.startTotpEnrollment({ consumerId: pending.id, organizationId, secretSealed: 's', createdAt: now });
      expect(await store.redeemSecondFactor(pending.id, { kind: 'totp', step: 1 }, now, () => ({}))).toBeUndefined();
      expect(await store.replaceRecoveryCodes(pending.id, ['r'], now, [])).toBe(false);
      expect(await store.removeTotpFactor(pending.id, now, [], { onlyUnconfirmed: true })).toBe(true);

      const { person, codes } = await personWithTotp(100);
      // A removal without proof takes only a pending enrollment: a confirmed one stays (issue 18 review).
      expect(await store.removeTotpFactor(person.id, now + 9, [], { onlyUnconfirmed: true })).toBe(false);
      expect((await store.getTotpFactor(person.id))!.confirmedAt).not.toBeNull();
      expect(await store.removeTotpFactor(person.id, now + 9, [])).toBe(true);
      expect(await store.getTotpFactor(person.id)).toBeUndefined();
      expect((await store.getConsumer(person.id))!.totpEnabledAt).toBeNull();
      expect(await store.countUnusedRecoveryCodes(person.id)).toBe(0);
      expect(await store.redeemSecondFactor(person.id, { kind: 'recovery_code', codeHash: codes[2]! }, now, () => ({}))).toBeUndefined();
      expect(await store.removeTotpFactor(person.id, now, [])).toBe(false);
    });

    it('regenerated recovery codes replace the old ones, also under concurrency', async () => {
      const { person, codes } = await personWithTotp(100);
      const fresh = (n: number) => Array.from({ length: 10 }, (_, i) => `fresh-${n}-${i}`);
      const results = await Promise.all([1, 2, 3, 4].map((n) => store.replaceRecoveryCodes(person.id, fresh(n), now, [])));
      expect(results).toEqual([true, true, true, true]);
      expect(await store.countUnusedRecoveryCodes(person.id)).toBe(10);
      expect(await store.redeemSecondFactor(person.id, { kind: 'recovery_code', codeHash: codes[0]! }, now, () => ({}))).toBeUndefined();
    });

    it('SPEC §10: erasing a person erases their TOTP secret and recovery codes', async () => {
      const { person } = await personWithTotp(100);
      expect(await store.eraseConsumer(person.id, 'anon_totp', () => [])).toBeDefined();
      expect(await store.getTotpFactor(person.id)).toBeUndefined();
      expect(await store.countUnusedRecoveryCodes(person.id)).toBe(0);
    });
  });
  it('SPEC §13: client-registration switches are off for a new organization and stored as set', async () => {
    expect(await store.getClientRegistrationSettings(organizationId)).toEqual({ metadataDocuments: 'off', dynamicRegistration: 'off', registrationTokenHash: null });
    const settings = { metadataDocuments: 'live', dynamicRegistration: 'test', registrationTokenHash: hashSecret('lkr_x') } as const;
    await store.setClientRegistrationSettings(organizationId, settings);
    expect(await store.getClientRegistrationSettings(organizationId)).toEqual(settings);
    await store.setClientRegistrationSettings(organizationId, { metadataDocuments: 'off', dynamicRegistration: 'off', registrationTokenHash: null });
  });

  it('SPEC §13: saveMetadataDocumentClient — 20 concurrent first uses make one row; later saves refresh it, never across organizations', async () => {
    const url = 'https://agent.example/client.json';
    const base: Application = {
      ...application, id: '', publishableKey: url, type: 'public', redirectUris: ['https://agent.example/cb'], allowedScopes: ['openid'],
      allowedOrigins: [], registration: 'metadata_document',
    };
    const saved = await Promise.all(Array.from({ length: 20 }, (_, i) => store.saveMetadataDocumentClient({ ...base, id: `app_cimd_${i}` })));
    expect(new Set(saved.map((row) => row.id)).size).toBe(1);
    expect(saved[0]).toMatchObject({ publishableKey: url, registration: 'metadata_document', type: 'public', redirectUris: ['https://agent.example/cb'] });
    const refreshed = await store.saveMetadataDocumentClient({ ...base, id: 'app_cimd_new', name: 'Renamed', redirectUris: ['https://agent.example/cb2'], allowedScopes: ['openid', 'email'] });
    expect(refreshed).toMatchObject({ id: saved[0]!.id, name: 'Renamed', redirectUris: ['https://agent.example/cb2'], allowedScopes: ['openid', 'email'] });
    await store.createOrganization({ id: 'org_other_cimd', name: 'other-cimd', settings: { ...DEFAULT_ORGANIZATION_SETTINGS }, branding: { displayName: null, logoUrl: null, accentColor: null }, createdAt: now });
    const foreign = await store.saveMetadataDocumentClient({ ...base, id: 'app_cimd_foreign', organizationId: 'org_other_cimd', name: 'Hijack' });
    expect(foreign).toMatchObject({ id: saved[0]!.id, organizationId, name: 'Renamed' });
  });

  it('SPEC §13: createPublicClient stores a client without any secret', async () => {
    const client: Application = { ...application, id: 'app_dcr', publishableKey: 'pk_test_dcr_contract_0000', type: 'public', allowedOrigins: [], registration: 'dynamic' };
    await store.createPublicClient(client);
    expect(await store.findApplicationByPublishableKey(client.publishableKey)).toEqual(client);
    expect(await store.findApplicationWithSecret(client.publishableKey, hashSecret(''), now)).toMatchObject({ secretMatches: false });
  });
});
