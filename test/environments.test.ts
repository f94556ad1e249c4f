import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAuthorizationCode } from '../src/flows/oauth/authorize.js';
import { authenticateBearer } from '../src/flows/oauth/tokens.js';
import { startConsumerSession } from '../src/flows/sessions.js';
import { describeEachEngine } from './helpers/engines.js';
import { authorize, exchange, me, signIn } from './helpers/flows.js';
import { createOAuthApp, createPasswordUser, initiate, login, pkce, standardQuery, type OAuthApp } from './helpers/oauth.js';
import { latestCode, requestOtp, startGuest, verifyOtp } from './helpers/otp.js';
import { startTestServer, type TestApp, type TestServer } from './helpers/server.js';

/** Cookies of a response, as one `cookie` request header. */
const jarOf = (response: Response) => response.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');

// SPEC §1 "Environment": test and live are separate worlds inside one organization. A key of one
// environment never finds, links, signs into or changes a record of the other.
describeEachEngine('issue 11.1 / SPEC §1: test and live are separate worlds', (engine) => {
  let server: TestServer;
  let live: TestApp;
  let test: TestApp;

  beforeAll(async () => {
    server = await startTestServer(engine);
    live = await server.createApp({ environment: 'live' });
    test = await server.createApp({ environment: 'test' });
  });
  afterAll(() => server?.close());

  it('issue 11.1 / SPEC §1: a test secret key with a live consumer\'s identity creates a new test consumer; its session sees nothing of the live one', async () => {
    const identity = { provider: 'shop', issuer: 'https://shop.example', subject: 'customer-42' };
    const minted = await authorize(server, live, { ...identity, canonicalSubject: 'person-42', claims: { email: 'rich@customer.example', fullName: 'Rich Customer', plan: 'gold' } });
    expect((await minted.json()).resolution).toBe('created');
    const liveSession = await signIn(server, live, identity);

    const attempt = await authorize(server, test, identity);
    expect(attempt.status).toBe(200);
    const { exchangeCode, resolution } = await attempt.json();
    expect(resolution).toBe('created');
    const testSession = await (await exchange(server, test, { exchangeCode })).json();
    expect(testSession.session.consumerId).not.toBe(liveSession.session.consumerId);

    const profile = await (await me(server, testSession.accessToken)).json();
    expect(profile.id).toBe(testSession.session.consumerId);
    expect(JSON.stringify(profile)).not.toMatch(/rich@customer|Rich Customer|gold/);
    expect(profile.identities).toEqual([identity]);
  });

  it('issue 11.1 / SPEC §1: canonicalSubject sent with a test key never links an identity onto a live consumer', async () => {
    const victim = { provider: 'shop', issuer: 'https://shop.example', subject: 'victim-7' };
    await authorize(server, live, { ...victim, canonicalSubject: 'person-7', claims: { email: 'victim@customer.example' } });
    const liveSession = await signIn(server, live, victim);

    const attacker = { provider: 'evil', issuer: 'https://evil.example', subject: 'attacker', canonicalSubject: 'person-7' };
    const attempt = await authorize(server, test, attacker);
    expect((await attempt.json()).resolution).toBe('created');
    const attackerSession = await signIn(server, test, attacker);
    expect(attackerSession.session.consumerId).not.toBe(liveSession.session.consumerId);

    // The live consumer still has only its own identity, and the live key still resolves it alone.
    expect((await (await me(server, liveSession.accessToken)).json()).identities).toEqual([victim]);
    const again = await authorize(server, live, { ...attacker });
    expect((await again.json()).resolution).toBe('linked');
  });

  it('issue 11.1 / SPEC §1: the same identity in both environments resolves `existing` in each, to its own consumer', async () => {
    const identity = { provider: 'shop', issuer: 'https://shop.example', subject: 'both-worlds' };
    const first = await signIn(server, test, identity);
    const second = await signIn(server, live, identity);
    expect(second.session.consumerId).not.toBe(first.session.consumerId);
    expect((await (await authorize(server, test, identity)).json()).resolution).toBe('existing');
    expect((await (await authorize(server, live, identity)).json()).resolution).toBe('existing');
    expect((await signIn(server, test, identity)).session.consumerId).toBe(first.session.consumerId);
    expect((await signIn(server, live, identity)).session.consumerId).toBe(second.session.consumerId);
  });

  it('issue 11.1 / SPEC §1: an OTP to the same email signs in a different consumer in test and in live; a code of one is not pending in the other', async () => {
    const email = 'otp-both@customer.example';
    expect((await requestOtp(server, { email }, live)).status).toBe(200);
    const liveCode = await latestCode(server, email);
    // No code is pending for this address in test: live's code is not one there.
    const crossed = await verifyOtp(server, { email, code: liveCode }, { app: test });
    expect(crossed.status).toBe(401);
    expect((await crossed.json()).error).toBe('otp_expired');
    // A request in test neither waits for live's cooldown nor replaces live's pending code. (The
    // clock moves so the outbox tells the two messages apart by time.)
    server.clock.advance(1);
    expect((await requestOtp(server, { email }, test)).status).toBe(200);
    const testCode = await latestCode(server, email);
    const inLive = await verifyOtp(server, { email, code: liveCode }, { app: live });
    expect(inLive.status).toBe(200);
    const inTest = await verifyOtp(server, { email, code: testCode }, { app: test });
    expect(inTest.status).toBe(200);
    const liveConsumer = (await inLive.json()).session.consumerId;
    const testConsumer = (await inTest.json()).session.consumerId;
    expect(testConsumer).not.toBe(liveConsumer);
  });

  it('issue 11.1 / SPEC §1: a guest of a test application is never linked into a live consumer', async () => {
    const identity = { provider: 'shop', issuer: 'https://shop.example', subject: 'guest-target' };
    const liveSession = await signIn(server, live, identity);
    const guest = await startGuest(server, test);
    const { exchangeCode } = await (await authorize(server, live, identity)).json();
    const response = await server.request('/auth/external/exchange', {
      json: { exchangeCode },
      headers: { 'x-publishable-key': live.publishableKey, authorization: `Bearer ${guest.accessToken}` },
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.session.consumerId).toBe(liveSession.session.consumerId);
    expect(body.guestId).toBeUndefined();
    const stored = await server.server.runtime.store.getConsumer(guest.session.consumerId);
    expect(stored).toMatchObject({ type: 'guest', mergedIntoId: null, environment: 'test' });
  });
});

describeEachEngine('issue 11.1 / SPEC §1: password users and OAuth in one environment', (engine) => {
  let server: TestServer;
  let liveApp: OAuthApp;
  let testApp: OAuthApp;

  beforeAll(async () => {
    server = await startTestServer(engine);
    liveApp = await createOAuthApp(server, { environment: 'live' });
    testApp = await createOAuthApp(server, { environment: 'test' });
  });
  afterAll(() => server?.close());

  it('issue 11.1 / SPEC §1: a live user\'s password signs in through a live client only; a test client gets invalid_credentials', async () => {
    const user = await createPasswordUser(server, { environment: 'live' });
    const throughTest = await login(server, testApp, user.email, user.password);
    expect(throughTest.status).toBe(401);
    expect(await throughTest.json()).toEqual({ error: 'invalid_credentials', message: 'wrong email or password' });
    expect((await login(server, liveApp, user.email, user.password)).status).toBe(200);
  });

  it('issue 11.1 / SPEC §1: a second-factor code cannot be sent to a live user through a test client', async () => {
    const phone = '+14155550177';
    const user = await createPasswordUser(server, { environment: 'live', phone });
    const before = await server.server.runtime.store.listDevMessages({ recipient: phone });
    const sent = await server.request('/v1/auth/login/otp', { json: { userId: user.id }, headers: { 'x-client-key': testApp.publishableKey } });
    expect(await sent.json()).toEqual({ success: true });
    expect(await server.server.runtime.store.listDevMessages({ recipient: phone })).toHaveLength(before.length);
  });

  it('issue 11.1 / SPEC §1: a hosted sign-in of a test client is not reused on a live client\'s pages (single sign-on stays in one environment)', async () => {
    const user = await createPasswordUser(server, { environment: 'test' });
    const open = async (app: OAuthApp, cookie = '') => {
      const { challenge } = pkce();
      const { mode: _mode, ...query } = standardQuery(app, challenge);
      const started = await initiate(server, query);
      const path = new URL(started.headers.get('location')!).pathname;
      const page = await server.request(path, { headers: { cookie }, redirect: 'manual' });
      return { path, page };
    };
    const first = await open(testApp);
    const html = await first.page.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const signedIn = await server.request(`${first.path}/login`, {
      method: 'POST',
      body: new URLSearchParams({ email: user.email, password: user.password, csrf }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jarOf(first.page), 'sec-fetch-site': 'same-origin' },
      redirect: 'manual',
    });
    expect(signedIn.status).toBe(303);
    const cookie = [jarOf(first.page), jarOf(signedIn)].join('; ');
    // Same environment: the sign-in carries over (consent, or straight back with a code).
    const sameWorld = await open(await createOAuthApp(server, { environment: 'test' }), cookie);
    expect(await sameWorld.page.text()).not.toContain('name="password"');
    // The live client's page asks for a sign-in of its own.
    const otherWorld = await open(liveApp, cookie);
    expect(otherWorld.page.status).toBe(200);
    expect(await otherWorld.page.text()).toContain('name="password"');
  });
});

describeEachEngine('issue 11.1 / SPEC §1: the last guards before a session or a code is written', (engine) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());

  it('issue 11.1 / SPEC §1: a consumer never gets a session, and a sign-in never a grant or code, of an application of the other environment', async () => {
    const { deps } = server.server.runtime;
    const liveApp = (await deps.store.getApplication((await createOAuthApp(server, { environment: 'live' })).id))!;
    const testApp = (await deps.store.getApplication((await createOAuthApp(server, { environment: 'test' })).id))!;
    const user = await createPasswordUser(server, { environment: 'test' });
    const consumer = (await deps.store.getConsumer(user.id))!;
    await expect(startConsumerSession(deps, liveApp, consumer, { via: 'test' })).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    expect(await deps.store.consumerHasSessions(consumer.id)).toBe(false);

    const token = await (await login(server, testApp, user.email, user.password)).json();
    const { session } = await authenticateBearer(deps, token.accessToken, ['login']);
    if (!session) throw new Error('a login token has a session');
    const now = server.clock.now();
    const request = {
      id: 'azr_guard', organizationId: liveApp.organizationId, applicationId: liveApp.id, redirectUri: liveApp.redirectUris[0]!, state: 's', codeChallenge: 'c',
      scope: 'openid', nonce: null, prompt: null, maxAge: null, loginHint: null, idTokenHintSubject: null, claims: null,
      createdAt: now, expiresAt: now + 600_000, consumedAt: null,
    };
    await deps.store.createAuthorizationRequest(request);
    await expect(issueAuthorizationCode(deps, liveApp, request.id, session)).rejects.toMatchObject({ code: 'invalid_grant' });
    expect(await deps.store.findLiveGrant(liveApp.id, consumer.id)).toBeUndefined();
    // The same sign-in does get a code from an application of its own environment.
    const ownRequest = { ...request, id: 'azr_guard_own', applicationId: testApp.id, redirectUri: testApp.redirectUris[0]! };
    await deps.store.createAuthorizationRequest(ownRequest);
    await expect(issueAuthorizationCode(deps, testApp, ownRequest.id, session)).resolves.toMatchObject({ state: 's' });
  });
});

const BIN = fileURLToPath(new URL('../bin/latchkey.js', import.meta.url));

describeEachEngine('issue 11.1 / SPEC §1: `latchkey users` takes --environment', (engine) => {
  let server: TestServer;
  let env: NodeJS.ProcessEnv;
  const run = (...args: string[]) => promisify(execFile)(process.execPath, [BIN, ...args], { env });
  const latchkey = async (...args: string[]) => JSON.parse((await run(...args)).stdout);

  beforeAll(async () => {
    server = await startTestServer(engine);
    env = { PATH: process.env.PATH, LATCHKEY_DATABASE_URL: server.server.runtime.config.databaseUrl, LATCHKEY_SECRET: server.server.runtime.config.secret };
  });
  afterAll(() => server?.close());

  it('issue 11.1 / SPEC §1: users create --environment live makes a live user; the same email in test is another user; default test', async () => {
    const liveApp = await createOAuthApp(server, { environment: 'live' });
    const testApp = await createOAuthApp(server, { environment: 'test' });
    const liveUser = await latchkey('users', 'create', '--email', 'cli-env@example.com', '--password', 'live password 1', '--environment', 'live', '--json');
    expect(liveUser).toMatchObject({ id: expect.stringMatching(/^con_/), environment: 'live' });
    const testUser = await latchkey('users', 'create', '--email', 'cli-env@example.com', '--password', 'test password 1', '--json');
    expect(testUser).toMatchObject({ environment: 'test' });
    expect(testUser.id).not.toBe(liveUser.id);
    expect((await login(server, liveApp, 'cli-env@example.com', 'live password 1')).status).toBe(200);
    expect((await login(server, testApp, 'cli-env@example.com', 'test password 1')).status).toBe(200);
    expect((await login(server, testApp, 'cli-env@example.com', 'live password 1')).status).toBe(401);

    // set-password finds the user of the environment it is told (test by default).
    expect(await latchkey('users', 'set-password', '--email', 'cli-env@example.com', '--password', 'live password 2', '--environment', 'live', '--json'))
      .toMatchObject({ id: liveUser.id, environment: 'live' });
    expect((await login(server, liveApp, 'cli-env@example.com', 'live password 2')).status).toBe(200);
    expect((await login(server, testApp, 'cli-env@example.com', 'test password 1')).status).toBe(200);
  });

  it('issue 11.1: users --environment other than test|live is a usage error naming the flag; set-password does not cross environments', async () => {
    await expect(run('users', 'create', '--email', 'x@example.com', '--password', 'long enough', '--environment', 'prod')).rejects.toMatchObject({
      code: 2, stderr: expect.stringContaining('--environment must be test or live'),
    });
    await latchkey('users', 'create', '--email', 'only-live@example.com', '--password', 'long enough', '--environment', 'live', '--json');
    await expect(run('users', 'set-password', '--email', 'only-live@example.com', '--password', 'long enough 2')).rejects.toMatchObject({
      code: 2, stderr: expect.stringContaining('no user with the email only-live@example.com in test'),
    });
  });
});
