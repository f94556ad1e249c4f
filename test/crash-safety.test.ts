import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { hashSecret } from '../src/crypto/hash.js';
import { openStore, type SqlStore } from '../src/storage/sql-store.js';
import { createTestDatabase, type TestDatabase } from './helpers/engines.js';
import { cliJson, startInstance, type Instance } from './helpers/instances.js';
import { SoftAuthenticator } from './helpers/webauthn.js';

const hasPostgres = inject('postgresUrl') !== null;
if (!hasPostgres) process.stderr.write('\n  NOTICE: the crash-safety suite needs PostgreSQL — SKIPPED.\n\n');

describe('issue 12.1: LATCHKEY_TEST_FAULT is a test-only switch', () => {
  it('is off unless set, takes only a known redemption kind, and a bad value stops the start', () => {
    expect(loadConfig({}).testFault).toBeUndefined();
    expect(loadConfig({ LATCHKEY_TEST_FAULT: 'crash-after-consume:exchange_code' }).testFault).toEqual({ crashAfterConsume: 'exchange_code' });
    expect(() => loadConfig({ LATCHKEY_TEST_FAULT: 'crash-after-consume:refresh_token' })).toThrow(ConfigError);
    expect(() => loadConfig({ LATCHKEY_TEST_FAULT: 'yes' })).toThrow(/LATCHKEY_TEST_FAULT: test only; must be crash-after-consume:<exchange_code\|otp_code\|authorization_request\|authorization_code\|webauthn_challenge>/);
  });
});

type Kind = 'exchange_code' | 'otp_code' | 'authorization_request' | 'authorization_code' | 'webauthn_challenge';

/**
 * Issue 12.1: every redemption is sent to a "victim" instance that kills itself with SIGKILL inside
 * the redemption's transaction, right after the credential was consumed and before anything it
 * creates is written (LATCHKEY_TEST_FAULT, test only). The database must then show the credential
 * unused and nothing half-made, and the same request retried on a surviving instance — racing
 * copies of itself — must succeed exactly once.
 */
// SQLite too: its hot redemptions run in a group-committed batch (sqlite-write-batch.ts), and a kill
// inside a batch must lose the whole uncommitted batch, never part of one.
describe.each([
  { engine: 'postgres' as const, skip: !hasPostgres },
  { engine: 'sqlite' as const, skip: false },
])('issue 12.1: a redemption and what it creates commit together — kill -9 between them, on $engine with several instances', ({ engine, skip }) => {
  if (skip) return;
  let database: TestDatabase;
  let env: Record<string, string>;
  let survivor: Instance;
  let store: SqlStore;
  let demo: { publishableKey: string; secretKey: string };
  let organizationId: string;
  const victims: Instance[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    env = {
      LATCHKEY_DATABASE_URL: database.url,
      LATCHKEY_SECRET: randomBytes(32).toString('base64url'),
      LATCHKEY_ISSUER: 'http://127.0.0.1:4998',
      LATCHKEY_RATE_LIMIT_LOGIN_PER_IP: '100000/60',
    };
    survivor = await startInstance(env);
    const banner = survivor.stdout();
    demo = {
      publishableKey: /publishable key\s+(pk_test_\S+)/.exec(banner)![1]!,
      secretKey: /secret key\s+(sk_test_\S+)/.exec(banner)![1]!,
    };
    store = await openStore(database.url, { migrate: false });
    organizationId = (await store.findOrganizationByName('default'))!.id;
  }, 60_000);

  afterAll(async () => {
    // A killed victim has already exited (by signal): only the living are stopped.
    const living = [survivor, ...victims].filter((i) => i && i.process.exitCode === null && i.process.signalCode === null);
    await Promise.all(living.map((i) => i.stop()));
    await store?.close();
    await database?.drop();
  });

  const post = (base: string, path: string, body: object, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  /** The headers of a consumer-API call with the demo application's publishable key. */
  const consumerApi = (extra: Record<string, string> = {}) => ({ 'x-publishable-key': demo.publishableKey, ...extra });

  /**
   * Sends `request` to a fresh instance set to die at `kind`'s consumption and proves it died there:
   * the request gets no answer and the process was killed by SIGKILL after announcing the fault.
   */
  async function crashOn(kind: Kind, request: (base: string) => Promise<Response>): Promise<void> {
    const victim = await startInstance({ ...env, LATCHKEY_TEST_FAULT: `crash-after-consume:${kind}` });
    victims.push(victim);
    const died = new Promise<NodeJS.Signals | null>((resolve) => victim.process.once('exit', (_code, signal) => resolve(signal)));
    await expect(request(victim.url)).rejects.toThrow();
    expect(await died).toBe('SIGKILL');
    expect(victim.stdout()).toContain(`LATCHKEY_TEST_FAULT: killing the process after consuming ${kind}`);
  }

  /** The same request, five times at once on the survivor: exactly one may succeed. */
  async function retryRace(request: (base: string) => Promise<Response>, status = 200): Promise<any> {
    const responses = await Promise.all(Array.from({ length: 5 }, () => request(survivor.url)));
    const won = responses.filter((r) => r.status === status);
    expect(won).toHaveLength(1);
    return won[0]!.json();
  }

  /** The `session.started` events stored for a session id. */
  const startedEvents = async (sessionId: string) =>
    (await store.listAuditEvents(organizationId, 'session.started')).filter((event) => event.data.sessionId === sessionId);

  const mint = async (subject: string) => {
    const response = await post(survivor.url, '/auth/external/authorize', { provider: 'shop', issuer: 'https://shop.example', subject }, { authorization: `Bearer ${demo.secretKey}` });
    expect(response.status).toBe(200);
    return (await response.json()) as { exchangeCode: string; resolution: string };
  };

  it('issue 12.1: an exchange code — the winner killed after consuming it; the code stays unused and a retry on another instance signs in once', async () => {
    const { exchangeCode } = await mint('crash-exchange');
    const exchange = (base: string) => post(base, '/auth/external/exchange', { exchangeCode }, consumerApi());
    await crashOn('exchange_code', exchange);
    const code = (await store.findExchangeCode(hashSecret(exchangeCode)))!;
    expect(code.consumedAt).toBeNull();
    expect(await store.consumerHasSessions(code.consumerId)).toBe(false);

    const session = await retryRace(exchange);
    expect(session.session).toMatchObject({ type: 'authenticated', consumerId: code.consumerId });
    const { sid } = decodeJwt(session.accessToken);
    expect(await store.getSession(sid as string)).toMatchObject({ consumerId: code.consumerId, revokedAt: null });
    expect(await startedEvents(sid as string)).toHaveLength(1);
    expect((await post(survivor.url, '/auth/refresh', { refreshToken: session.refreshToken }, consumerApi())).status).toBe(200);
  }, 60_000);

  it('issue 12.1 / SPEC §5.4: the guest merge on exchange — killed after consuming the code; the guest is still a guest with its session, and a retry upgrades it once', async () => {
    const guestResponse = await fetch(`${survivor.url}/auth/guest`, { method: 'POST', headers: consumerApi() });
    expect(guestResponse.status).toBe(200);
    const guest = await guestResponse.json();
    const { exchangeCode, resolution } = await mint('crash-guest-merge');
    expect(resolution).toBe('created');
    const exchange = (base: string) => post(base, '/auth/external/exchange', { exchangeCode }, consumerApi({ authorization: `Bearer ${guest.accessToken}` }));
    await crashOn('exchange_code', exchange);
    expect((await store.findExchangeCode(hashSecret(exchangeCode)))!.consumedAt).toBeNull();
    expect(await store.getConsumer(guest.session.consumerId)).toMatchObject({ type: 'guest', mergedIntoId: null });
    expect((await store.getSession(decodeJwt(guest.accessToken).sid as string))!.revokedAt).toBeNull();

    const session = await retryRace(exchange);
    // Upgraded in place: the guest's consumerId, now authenticated; its guest session ended.
    expect(session.session).toMatchObject({ type: 'authenticated', consumerId: guest.session.consumerId });
    expect(await store.getConsumer(guest.session.consumerId)).toMatchObject({ type: 'authenticated' });
    expect((await store.getSession(decodeJwt(guest.accessToken).sid as string))!.revokedAt).not.toBeNull();
    expect(await startedEvents(decodeJwt(session.accessToken).sid as string)).toHaveLength(1);
    expect(await store.listAuditEvents(organizationId, 'guest.upgraded')).toEqual([expect.objectContaining({ data: { consumerId: guest.session.consumerId } })]);
  }, 60_000);

  /** An emailed code for `email`, read from the development outbox. */
  async function emailedCode(email: string): Promise<string> {
    expect((await post(survivor.url, '/auth/otp/request', { email }, consumerApi())).status).toBe(200);
    const [message] = await store.listDevMessages({ recipient: email, limit: 1 });
    return /\b(\d{6})\b/.exec(message!.body)![1]!;
  }

  it('issue 12.1 / SPEC §5.4: OTP verify — killed after consuming the code; the code stays pending, no consumer is half-made, and a retry signs in once', async () => {
    const email = 'crash-otp@example.com';
    const code = await emailedCode(email);
    const verify = (base: string) => post(base, '/auth/otp/verify', { email, code }, consumerApi());
    await crashOn('otp_code', verify);
    const identity = { provider: 'email', issuer: 'latchkey', subject: email };
    expect(await store.findConsumerByExternalIdentity({ organizationId, environment: 'test' }, identity)).toBeUndefined();

    const session = await retryRace(verify);
    const consumer = await store.findConsumerByExternalIdentity({ organizationId, environment: 'test' }, identity);
    expect(session.session).toMatchObject({ type: 'authenticated', consumerId: consumer!.id, email });
    expect(await startedEvents(decodeJwt(session.accessToken).sid as string)).toHaveLength(1);
    expect((await store.listAuditEvents(organizationId, 'consumer.created')).filter((e) => e.data.consumerId === consumer!.id)).toHaveLength(1);
  }, 60_000);

  it('issue 12.1 / SPEC §12: second-factor completion — killed after consuming the SMS code; the challenge is unspent and a retry completes the sign-in once', async () => {
    const phone = '+14155550142';
    const user = await cliJson(env, ['users', 'create', '--email', 'crash-2fa@example.com', '--password', 'a long password', '--phone', phone]);
    expect(user.hasSecondFactor).toBe(true);
    const pending = await (await post(survivor.url, '/auth/otp/verify', { email: 'crash-2fa@example.com', code: await emailedCode('crash-2fa@example.com') }, consumerApi())).json();
    expect(pending.secondFactorRequired).toBe(true);
    expect((await post(survivor.url, '/auth/second-factor/request', { secondFactorToken: pending.secondFactorToken }, consumerApi())).status).toBe(200);
    const [sms] = await store.listDevMessages({ recipient: phone, limit: 1 });
    const code = /\b(\d{6})\b/.exec(sms!.body)![1]!;
    const complete = (base: string) => post(base, '/auth/second-factor/verify', { secondFactorToken: pending.secondFactorToken, code }, consumerApi());
    await crashOn('otp_code', complete);
    expect(await store.isAccessTokenRevoked(decodeJwt(pending.secondFactorToken).jti!)).toBe(false);
    expect(await store.consumerHasSessions(user.id)).toBe(false);

    const session = await retryRace(complete);
    expect(session.session).toMatchObject({ type: 'authenticated', consumerId: user.id, phone });
    expect(await store.isAccessTokenRevoked(decodeJwt(pending.secondFactorToken).jti!)).toBe(true);
    expect(await startedEvents(decodeJwt(session.accessToken).sid as string)).toHaveLength(1);
  }, 60_000);

  /** An OAuth client, a signed-in user's login token and a fresh authorization session (steps 1–2 of SPEC §6). */
  async function authorizationSession(name: string) {
    const app = await cliJson(env, ['apps', 'create', '--name', name, '--redirect-uri', 'https://client.example/cb', '--scope', 'profile']);
    const email = `${name}@example.com`;
    await cliJson(env, ['users', 'create', '--email', email, '--password', 'a long password']);
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const query = new URLSearchParams({
      response_type: 'code', client_id: app.publishableKey, redirect_uri: 'https://client.example/cb', state: `${name}-state`, code_challenge: challenge,
      code_challenge_method: 'S256', scope: 'profile', mode: 'api',
    });
    const { token } = await (await fetch(`${survivor.url}/v1/auth/oauth/authorize/initiate?${query}`)).json();
    const login = await (await post(survivor.url, '/v1/auth/login', { email, password: 'a long password' }, { 'x-client-key': app.publishableKey })).json();
    const authorize = (base: string) => post(base, '/v1/auth/oauth/authorize', { token }, { 'x-client-key': app.publishableKey, authorization: `Bearer ${login.accessToken}` });
    const tokenRequest = (code: string) => (base: string) =>
      fetch(`${base}/v1/auth/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${app.publishableKey}:${app.secretKey}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'https://client.example/cb', code_verifier: verifier }).toString(),
      });
    return { app, requestId: decodeJwt(token).jti!, authorize, tokenRequest };
  }

  it('issue 12.1 / SPEC §6.3: the authorization session at step 3 — killed after consuming it; it stays pending with no grant or code, and a retry issues one code', async () => {
    const { app, requestId, authorize, tokenRequest } = await authorizationSession('crash-step3');
    await crashOn('authorization_request', authorize);
    expect((await store.getAuthorizationRequest(requestId))!.consumedAt).toBeNull();
    expect(await store.listAuditEvents(organizationId, 'authorization_code.issued')).toEqual([]);

    const { code, state } = await retryRace(authorize);
    expect(state).toBe('crash-step3-state');
    expect((await store.listAuditEvents(organizationId, 'authorization_code.issued')).filter((e) => e.data.applicationId === app.id)).toHaveLength(1);
    // The code that survived is a working one.
    expect((await tokenRequest(code)(survivor.url)).status).toBe(200);
  }, 60_000);

  it('issue 12.1 / RFC 6749 §4.1.2: the authorization code — killed after consuming it; it stays unused with no tokens, and a retry gets the tokens once', async () => {
    const { app, authorize, tokenRequest } = await authorizationSession('crash-token');
    const { code } = await (await authorize(survivor.url)).json();
    await crashOn('authorization_code', tokenRequest(code));
    expect((await store.findAuthorizationCode(hashSecret(code)))!.consumedAt).toBeNull();
    expect((await store.listAuditEvents(organizationId, 'oauth.tokens_issued')).filter((e) => e.data.applicationId === app.id)).toEqual([]);

    // RFC 6749 §4.1.2: racing copies are replays of a used code; they revoke what it issued, so
    // only the status of the one winner is asserted here, and that its family exists.
    const responses = await Promise.all(Array.from({ length: 5 }, () => tokenRequest(code)(survivor.url)));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    const events = (await store.listAuditEvents(organizationId, 'oauth.tokens_issued')).filter((e) => e.data.applicationId === app.id);
    expect(events).toHaveLength(1);
    expect(await store.getSession(events[0]!.data.sessionId as string)).toMatchObject({ kind: 'oauth', codeHash: hashSecret(code) });
  }, 60_000);

  it('issue 12.1 / SPEC §12: a passkey sign-in — killed after consuming the challenge; the challenge stays unused and the counter unchanged, and a retry signs in once', async () => {
    const email = 'crash-passkey@example.com';
    const signedIn = await (await post(survivor.url, '/auth/otp/verify', { email, code: await emailedCode(email) }, consumerApi())).json();
    const holder = { authorization: `Bearer ${signedIn.accessToken}` };
    const auth = new SoftAuthenticator({ origin: 'http://127.0.0.1:4998' });
    const creation = await (await post(survivor.url, '/consumers/me/passkeys/registration/options', {}, holder)).json();
    expect((await post(survivor.url, '/consumers/me/passkeys/registration/verify', { credential: auth.register(creation.options) }, holder)).status).toBe(201);
    const { options } = await (await post(survivor.url, '/auth/passkey/options', {}, consumerApi())).json();
    const credential = auth.authenticate(options);
    const verify = (base: string) => post(base, '/auth/passkey/verify', { credential }, consumerApi());
    await crashOn('webauthn_challenge', verify);
    expect((await store.findWebAuthnChallenge(hashSecret(options.challenge)))!.consumedAt).toBeNull();
    const [passkey] = await store.listPasskeys(signedIn.session.consumerId);
    expect(passkey).toMatchObject({ signCount: 0, lastUsedAt: null });

    const session = await retryRace(verify);
    expect(session.session).toMatchObject({ type: 'authenticated', consumerId: signedIn.session.consumerId });
    expect(await startedEvents(decodeJwt(session.accessToken).sid as string)).toHaveLength(1);
    expect((await store.listPasskeys(signedIn.session.consumerId))[0]).toMatchObject({ signCount: 1 });
  }, 60_000);
});
