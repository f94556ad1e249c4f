import { afterAll, beforeAll, expect, it } from 'vitest';
import { updateApplication } from '../src/flows/applications.js';
import { adminRequest, createAdminToken, type TestAdminToken } from './helpers/admin.js';
import { describeEachEngine } from './helpers/engines.js';
import { me } from './helpers/flows.js';
import { authorizeStep3, createOAuthApp, createPasswordUser, initiate, login, pkce, standardQuery, tokenRequest } from './helpers/oauth.js';
import { latestCode, signInByEmail, startGuest } from './helpers/otp.js';
import { startTestServer, type TestApp, type TestServer } from './helpers/server.js';
import { totp } from './helpers/totp.js';
import { eventually } from './helpers/eventually.js';
import { SoftAuthenticator, type CeremonyOptions } from './helpers/webauthn.js';

describeEachEngine('passkeys (SPEC §12, issue 18)', (engine) => {
  let server: TestServer;
  let admin: TestAdminToken;
  let counter = 0;
  const freshEmail = () => `passkey${++counter}@example.com`;
  const freshPhone = () => `+1415666${String(++counter).padStart(4, '0')}`;

  beforeAll(async () => {
    server = await startTestServer(engine, { LATCHKEY_RATE_LIMIT_LOGIN_PER_IP: '100000/60', LATCHKEY_RATE_LIMIT_OTP_REQUEST_PER_IP: '100000/60', LATCHKEY_RATE_LIMIT_ACCOUNT_CHANGES_PER_IP: '100000/60' });
    admin = await createAdminToken(server);
  });
  afterAll(() => server?.close());

  const authenticator = (options: { backupEligible?: boolean; counterStep?: number } = {}) => new SoftAuthenticator({ origin: server.url, ...options });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const keyOf = (app?: TestApp) => ({ 'x-publishable-key': (app ?? server.demo).publishableKey });
  const audit = async (type: string) => {
    const { store } = server.server.runtime;
    return store.listAuditEvents((await store.getApplication(server.demo.id))!.organizationId, type);
  };

  /** Registers a passkey for the holder of `token` (consumer access token, or a login token under /v1/user). */
  async function register(auth: SoftAuthenticator, token: string, options: { base?: string; name?: string; ceremony?: CeremonyOptions; proof?: object } = {}) {
    const base = options.base ?? '/consumers/me/passkeys';
    const started = await server.request(`${base}/registration/options`, { method: 'POST', headers: bearer(token) });
    expect(started.status).toBe(200);
    const { options: creation } = await started.json();
    const credential = auth.register(creation, options.ceremony);
    return server.request(`${base}/registration/verify`, { json: { credential, ...(options.name ? { name: options.name } : {}), ...options.proof }, headers: bearer(token) });
  }

  /** A person signed in by email code, with one passkey registered: their session and the passkey. */
  async function personWithPasskey(auth = authenticator()) {
    const session = await signInByEmail(server, freshEmail());
    const registered = await register(auth, session.accessToken, { name: 'Laptop' });
    expect(registered.status).toBe(201);
    return { session, passkey: await registered.json(), auth };
  }

  async function signInOptions(app?: TestApp, path = '/auth/passkey/options') {
    const response = await server.request(path, { method: 'POST', headers: keyOf(app) });
    expect(response.status).toBe(200);
    return (await response.json()).options;
  }

  const verify = (credential: unknown, options: { app?: TestApp; guestToken?: string } = {}) =>
    server.request('/auth/passkey/verify', { json: { credential }, headers: { ...keyOf(options.app), ...(options.guestToken ? bearer(options.guestToken) : {}) } });

  async function passkeySignIn(auth: SoftAuthenticator, ceremony: CeremonyOptions & { credentialId?: string } = {}, options: { app?: TestApp; guestToken?: string } = {}) {
    return verify(auth.authenticate(await signInOptions(options.app), ceremony), options);
  }

  it('SPEC §12: registration options — discoverable credential required, user verification preferred, no attestation, RP ID the issuer\'s host, user handle the consumer id', async () => {
    const { session, passkey } = await personWithPasskey();
    const response = await server.request('/consumers/me/passkeys/registration/options', { method: 'POST', headers: bearer(session.accessToken) });
    const body = await response.json();
    expect(body.expiresAt).toBe(new Date(server.clock.now() + 300_000).toISOString());
    expect(body.options).toMatchObject({
      rp: { id: '127.0.0.1', name: expect.any(String) },
      user: { id: Buffer.from(session.session.consumerId).toString('base64url'), name: session.session.email },
      challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      timeout: 300_000,
      attestation: 'none',
      pubKeyCredParams: [{ alg: -8, type: 'public-key' }, { alg: -7, type: 'public-key' }, { alg: -257, type: 'public-key' }],
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
      // WebAuthn L3 §5.4.3: the passkey registered already is excluded.
      excludeCredentials: [{ id: passkey.credentialId, type: 'public-key', transports: ['hybrid', 'internal'] }],
    });
  });

  it('SPEC §12: register → 201 with the passkey (no public key); list, rename, delete; each audited', async () => {
    const { session, passkey } = await personWithPasskey();
    const consumerId = session.session.consumerId;
    expect(passkey).toEqual({
      id: expect.stringMatching(/^pkey_/), name: 'Laptop', credentialId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), deviceType: 'multiDevice', backedUp: true,
      transports: ['hybrid', 'internal'], createdAt: new Date(server.clock.now()).toISOString(), lastUsedAt: null,
    });
    const listed = await server.request('/consumers/me/passkeys', { headers: bearer(session.accessToken) });
    expect(await listed.json()).toEqual({ passkeys: [passkey] });

    const renamed = await server.request(`/consumers/me/passkeys/${passkey.id}`, { method: 'PATCH', json: { name: '  Work laptop ' }, headers: bearer(session.accessToken) });
    expect(renamed.status).toBe(200);
    expect(await renamed.json()).toEqual({ ...passkey, name: 'Work laptop' });
    const blank = await server.request(`/consumers/me/passkeys/${passkey.id}`, { method: 'PATCH', json: { name: '   ' }, headers: bearer(session.accessToken) });
    expect(blank.status).toBe(400);
    expect((await blank.json()).error).toBe('validation_error');

    const removed = await server.request(`/consumers/me/passkeys/${passkey.id}`, { method: 'DELETE', headers: bearer(session.accessToken) });
    expect(removed.status).toBe(204);
    expect(await (await server.request('/consumers/me/passkeys', { headers: bearer(session.accessToken) })).json()).toEqual({ passkeys: [] });
    const again = await server.request(`/consumers/me/passkeys/${passkey.id}`, { method: 'DELETE', headers: bearer(session.accessToken) });
    expect(again.status).toBe(404);

    for (const type of ['passkey.registered', 'passkey.renamed', 'passkey.removed']) {
      expect((await audit(type)).some((event) => event.data.consumerId === consumerId && event.data.passkeyId === passkey.id), type).toBe(true);
    }
  });

  it('review of issue 18: the person is told by email when a passkey is added or removed (no secret in the notice)', async () => {
    const email = freshEmail();
    const session = await signInByEmail(server, email);
    const registered = await register(authenticator(), session.accessToken, { name: 'Laptop' });
    expect(registered.status).toBe(201);
    const { id } = await registered.json();
    expect((await server.request(`/consumers/me/passkeys/${id}`, { method: 'DELETE', headers: bearer(session.accessToken) })).status).toBe(204);
    const subjects = await eventually(async () => {
      const messages = await server.server.runtime.store.listDevMessages({ recipient: email });
      const notices = messages.filter((m) => m.subject.includes('passkey'));
      return notices.length === 2 ? notices : undefined;
    });
    expect(subjects.map((m) => m.subject).sort()).toEqual(['A passkey was added to your account', 'A passkey was removed from your account']);
    for (const notice of subjects) {
      expect(notice.body).toContain(`${server.server.runtime.deps.issuer}/account`);
      expect(notice.body).not.toMatch(/\b\d{6}\b/);
    }
  });

  it('SPEC §12: another person\'s passkey is not found; a guest session registers nothing (403)', async () => {
    const { passkey } = await personWithPasskey();
    const stranger = await signInByEmail(server, freshEmail());
    for (const method of ['PATCH', 'DELETE']) {
      const response = await server.request(`/consumers/me/passkeys/${passkey.id}`, { method, json: method === 'PATCH' ? { name: 'mine now' } : undefined, headers: bearer(stranger.accessToken) });
      expect(response.status).toBe(404);
    }
    const guest = await startGuest(server);
    const refused = await server.request('/consumers/me/passkeys/registration/options', { method: 'POST', headers: bearer(guest.accessToken) });
    expect(refused.status).toBe(403);
    expect((await refused.json()).error).toBe('forbidden');
  });

  it('WebAuthn L3 §7.1 step 26: a credential registered already is refused; a registration from another origin is refused', async () => {
    const { session, auth } = await personWithPasskey();
    const started = await server.request('/consumers/me/passkeys/registration/options', { method: 'POST', headers: bearer(session.accessToken) });
    const credential = auth.register((await started.json()).options, { origin: 'https://evil.example' });
    const refused = await server.request('/consumers/me/passkeys/registration/verify', { json: { credential }, headers: bearer(session.accessToken) });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'passkey_registration_failed', message: 'the passkey registration did not verify' });
    // The same credential sent for a second challenge, after the first one registered it.
    const first = await server.request('/consumers/me/passkeys/registration/options', { method: 'POST', headers: bearer(session.accessToken) });
    const fresh = auth.register((await first.json()).options);
    expect((await server.request('/consumers/me/passkeys/registration/verify', { json: { credential: fresh }, headers: bearer(session.accessToken) })).status).toBe(201);
    const second = await server.request('/consumers/me/passkeys/registration/options', { method: 'POST', headers: bearer(session.accessToken) });
    const replayed = { ...fresh, response: { ...fresh.response } };
    const secondOptions = (await second.json()).options;
    const client = JSON.parse(Buffer.from(fresh.response.clientDataJSON, 'base64url').toString());
    replayed.response.clientDataJSON = Buffer.from(JSON.stringify({ ...client, challenge: secondOptions.challenge })).toString('base64url');
    const duplicate = await server.request('/consumers/me/passkeys/registration/verify', { json: { credential: replayed }, headers: bearer(session.accessToken) });
    expect(duplicate.status).toBe(400);
    expect((await duplicate.json()).error).toBe('passkey_registration_failed');
  });

  it('SPEC §12: sign-in options are for discoverable credentials — empty allowCredentials, user verification preferred', async () => {
    const response = await server.request('/auth/passkey/options', { method: 'POST', headers: keyOf() });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual({
      options: { rpId: '127.0.0.1', challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), allowCredentials: [], timeout: 300_000, userVerification: 'preferred' },
      expiresAt: new Date(server.clock.now() + 300_000).toISOString(),
    });
  });

  it('SPEC §12 / §5.4: a passkey signs in with an AuthSession as OTP verify gives; the counter, backup state and last use are stored', async () => {
    const { session, passkey, auth } = await personWithPasskey();
    const response = await passkeySignIn(auth);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual({
      session: { type: 'authenticated', consumerId: session.session.consumerId, expiresAt: expect.any(String), email: session.session.email },
      accessToken: expect.stringMatching(/^ey/), refreshToken: expect.stringMatching(/^rt_/), refreshTokenTtlSeconds: 2592000, beaconToken: expect.stringMatching(/^ey/),
    });
    expect((await me(server, body.accessToken)).status).toBe(200);
    const [stored] = await server.server.runtime.store.listPasskeys(session.session.consumerId);
    expect(stored).toMatchObject({ id: passkey.id, signCount: 1, backedUp: true, lastUsedAt: server.clock.now() });
    const [used] = (await audit('passkey.used')).filter((event) => event.data.passkeyId === passkey.id);
    expect(used!.data).toEqual({ consumerId: session.session.consumerId, passkeyId: passkey.id, applicationId: server.demo.id, userVerified: true });
  });

  it('SPEC §5.4: a guest access token sent along is absorbed into the passkey\'s person (guestId), and its session ends', async () => {
    const { session, auth } = await personWithPasskey();
    const guest = await startGuest(server);
    const response = await passkeySignIn(auth, {}, { guestToken: guest.accessToken });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.session).toMatchObject({ consumerId: session.session.consumerId, guestId: guest.session.consumerId, type: 'authenticated' });
    expect((await me(server, guest.accessToken)).status).toBe(401);
    expect((await server.server.runtime.store.getConsumer(guest.session.consumerId))!.mergedIntoId).toBe(session.session.consumerId);
  });

  it('SPEC §4: a challenge is single use — a replayed assertion is refused', async () => {
    const { auth } = await personWithPasskey();
    const credential = auth.authenticate(await signInOptions());
    expect((await verify(credential)).status).toBe(200);
    const before = (await audit('passkey.sign_in_failed')).filter((e) => e.data.reason === 'challenge_refused').length;
    const replay = await verify(credential);
    expect(replay.status).toBe(400);
    expect((await replay.json()).error).toBe('passkey_challenge_invalid');
    // Issue 18: a refused challenge is a failure like the others, and audited.
    expect((await audit('passkey.sign_in_failed')).filter((e) => e.data.reason === 'challenge_refused').length).toBe(before + 1);
  });

  it('SPEC §4: concurrent verifications of one assertion → exactly one session', async () => {
    const { auth } = await personWithPasskey(authenticator({ counterStep: 0 }));
    const credential = auth.authenticate(await signInOptions());
    const responses = await Promise.all(Array.from({ length: 8 }, () => verify(credential)));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    // The others lost the challenge (before or inside the redemption): not a failed sign-in.
    const losers = await Promise.all(responses.filter((r) => r.status !== 200).map(async (r) => [r.status, (await r.json()).error]));
    expect(losers).toEqual(Array.from({ length: 7 }, () => [400, 'passkey_challenge_invalid']));
  });

  it('SPEC §12: a challenge lives 5 minutes (injected clock)', async () => {
    const { auth } = await personWithPasskey();
    const options = await signInOptions();
    server.clock.advance(301);
    const late = await verify(auth.authenticate(options));
    expect(late.status).toBe(400);
    expect((await late.json()).error).toBe('passkey_challenge_invalid');
  });

  it('SPEC §12: a challenge is bound to its application and ceremony', async () => {
    const { session, auth } = await personWithPasskey();
    const other = await server.createApp();
    const foreign = await verify(auth.authenticate(await signInOptions(other)));
    expect(foreign.status).toBe(400);
    expect((await foreign.json()).error).toBe('passkey_challenge_invalid');
    // A registration challenge does not sign in.
    const started = await server.request('/consumers/me/passkeys/registration/options', { method: 'POST', headers: bearer(session.accessToken) });
    const wrongCeremony = await verify(auth.authenticate((await started.json()).options));
    expect(wrongCeremony.status).toBe(400);
    expect((await wrongCeremony.json()).error).toBe('passkey_challenge_invalid');
  });

  it('WebAuthn L3 §7.2 step 13: another origin is refused (and the challenge burnt); an application\'s passkey origin is accepted for it only', async () => {
    const { auth } = await personWithPasskey();
    const options = await signInOptions();
    const wrong = await verify(auth.authenticate(options, { origin: 'https://evil.example' }));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'passkey_invalid', message: 'the passkey response was refused (origin, relying party, type or format)' });
    expect((await verify(auth.authenticate(options))).status).toBe(400);

    const shop = await server.createApp();
    await updateApplication(server.server.runtime.deps, shop.id, { passkeyOrigins: ['https://shop.127.0.0.1.example'] });
    const fromShop = { origin: 'https://shop.127.0.0.1.example' };
    expect((await passkeySignIn(auth, fromShop, { app: shop })).status).toBe(200);
    expect((await passkeySignIn(auth, fromShop)).status).toBe(401);
  });

  it('WebAuthn L3 §7.2 step 6: a user handle that names another account is refused', async () => {
    const { auth } = await personWithPasskey();
    const other = await signInByEmail(server, freshEmail());
    const response = await passkeySignIn(auth, { userHandle: Buffer.from(other.session.consumerId).toString('base64url') });
    expect(response.status).toBe(401);
    expect((await response.json()).error).toBe('passkey_invalid');
    expect((await passkeySignIn(auth)).status).toBe(200);
  });

  it('WebAuthn L3 §7.2 steps 11 and 16: a response of the other ceremony type, or without user presence, is refused', async () => {
    const { auth } = await personWithPasskey();
    for (const ceremony of [{ type: 'webauthn.create' }, { userPresent: false }]) {
      const response = await passkeySignIn(auth, ceremony);
      expect(response.status, JSON.stringify(ceremony)).toBe(401);
      expect((await response.json()).error).toBe('passkey_invalid');
    }
  });

  it('WebAuthn L3 §7.2 step 15: an assertion for another RP ID is refused', async () => {
    const { auth } = await personWithPasskey();
    const response = await passkeySignIn(auth, { rpId: 'example.com' });
    expect(response.status).toBe(401);
    expect((await response.json()).error).toBe('passkey_invalid');
  });

  it('WebAuthn L3 §7.2 step 21: a cloned authenticator whose counter fell behind is refused and audited', async () => {
    const { passkey, auth } = await personWithPasskey();
    expect((await passkeySignIn(auth)).status).toBe(200);
    const clone = auth.clone();
    expect((await passkeySignIn(auth)).status).toBe(200);
    // The clone's counter moves from 1 to 2: not past the stored 2.
    const cloned = await passkeySignIn(clone);
    expect(cloned.status).toBe(401);
    expect(await cloned.json()).toEqual({ error: 'passkey_invalid', message: 'the passkey signature counter went backwards: this authenticator may have been cloned' });
    const [event] = (await audit('passkey.sign_in_failed')).filter((e) => e.data.passkeyId === passkey.id);
    expect(event!.data).toEqual({ applicationId: server.demo.id, reason: 'stale_counter', consumerId: expect.stringMatching(/^con_/), passkeyId: passkey.id });
    // The genuine authenticator keeps working.
    expect((await passkeySignIn(auth)).status).toBe(200);
  });

  it('WebAuthn L3 §6.1.1: an authenticator without a counter (always 0) signs in again and again', async () => {
    const { auth } = await personWithPasskey(authenticator({ counterStep: 0 }));
    for (let i = 0; i < 3; i++) expect((await passkeySignIn(auth)).status).toBe(200);
  });

  it('SPEC §12: an unknown credential, or a bad signature, is refused with passkey_invalid and audited', async () => {
    const stranger = authenticator();
    const regOptions = { rp: { id: '127.0.0.1' }, user: { id: 'dW5rbm93bg' }, challenge: 'x' };
    stranger.register(regOptions);
    const unknown = await passkeySignIn(stranger);
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual({ error: 'passkey_invalid', message: 'this passkey is not registered here' });
    expect((await audit('passkey.sign_in_failed')).some((e) => e.data.reason === 'unknown_credential')).toBe(true);

    const { passkey, auth } = await personWithPasskey();
    const forged = await passkeySignIn(auth, { forgeSignature: true });
    expect(forged.status).toBe(401);
    expect((await forged.json()).message).toBe('the passkey signature did not verify');
    expect((await audit('passkey.sign_in_failed')).some((e) => e.data.reason === 'bad_signature' && e.data.passkeyId === passkey.id)).toBe(true);
  });

  it('SPEC §1: a passkey of the test environment signs in nowhere in live', async () => {
    const { auth } = await personWithPasskey();
    const live = await server.createApp({ environment: 'live' });
    const response = await passkeySignIn(auth, {}, { app: live });
    expect(response.status).toBe(401);
    expect((await response.json()).message).toBe('this passkey is not registered here');
  });

  /** A user with a password and an SMS second factor, signed in through API mode: their login token. */
  async function secondFactorUser() {
    const phone = freshPhone();
    const user = await createPasswordUser(server, { phone });
    expect((await (await login(server, server.demo, user.email, user.password)).json()).isOtpRequired).toBe(true);
    await server.request('/v1/auth/login/otp', { json: { userId: user.id }, headers: { 'x-client-key': server.demo.publishableKey } });
    const signedIn = await (await login(server, server.demo, user.email, user.password, await latestCode(server, phone))).json();
    expect(signedIn.accessToken).toEqual(expect.any(String));
    return { user, phone, loginToken: signedIn.accessToken as string, smsProof: () => smsProof(phone) };
  }

  /** SPEC §12 step-up: a fresh SMS code to the person's phone, as `code` (through /auth/otp/request). */
  async function smsProof(phone: string) {
    server.clock.advance(61);
    expect((await server.request('/auth/otp/request', { json: { phone }, headers: keyOf() })).status).toBe(200);
    return { code: await latestCode(server, phone) };
  }

  it('SPEC §12: API mode registers with a login token (/v1/user/passkeys), lists, renames and deletes', async () => {
    const { loginToken, smsProof } = await secondFactorUser();
    const auth = authenticator();
    const registered = await register(auth, loginToken, { base: '/v1/user/passkeys', name: 'Phone', proof: await smsProof() });
    expect(registered.status).toBe(201);
    const passkey = await registered.json();
    expect((await (await server.request('/v1/user/passkeys', { headers: bearer(loginToken) })).json()).passkeys).toEqual([passkey]);
    const renamed = await server.request(`/v1/user/passkeys/${passkey.id}`, { method: 'PATCH', json: { name: 'Old phone' }, headers: bearer(loginToken) });
    expect((await renamed.json()).name).toBe('Old phone');
    expect((await server.request(`/v1/user/passkeys/${passkey.id}`, { method: 'DELETE', headers: bearer(loginToken) })).status).toBe(204);
    // A consumer access token is not a login token here (and the reverse).
    const consumer = await signInByEmail(server, freshEmail());
    expect((await server.request('/v1/user/passkeys', { headers: bearer(consumer.accessToken) })).status).toBe(401);
    expect((await server.request('/consumers/me/passkeys', { headers: bearer(loginToken) })).status).toBe(401);
  });

  it('SPEC §12: without user verification, a person with an SMS second factor must still give it (consumer API); with it, no second factor', async () => {
    const { user, phone, loginToken, smsProof } = await secondFactorUser();
    const auth = authenticator();
    expect((await register(auth, loginToken, { base: '/v1/user/passkeys', proof: await smsProof() })).status).toBe(201);

    const pending = await passkeySignIn(auth, { userVerified: false });
    expect(pending.status).toBe(200);
    const body = await pending.json();
    expect(body).toEqual({
      secondFactorRequired: true, secondFactor: 'sms', secondFactors: ['sms'], secondFactorToken: expect.stringMatching(/^ey/),
      phoneNumber: `${phone.slice(0, 2)}•••${phone.slice(-2)}`, expiresAt: expect.any(String),
    });
    expect(body).not.toHaveProperty('accessToken');
    server.clock.advance(61);
    expect((await server.request('/auth/second-factor/request', { json: { secondFactorToken: body.secondFactorToken }, headers: keyOf() })).status).toBe(200);
    const completed = await server.request('/auth/second-factor/verify', { json: { secondFactorToken: body.secondFactorToken, code: await latestCode(server, phone) }, headers: keyOf() });
    expect(completed.status).toBe(200);
    expect((await completed.json()).session).toMatchObject({ type: 'authenticated', consumerId: user.id });

    const verified = await passkeySignIn(auth, { userVerified: true });
    expect(verified.status).toBe(200);
    expect((await verified.json()).session).toMatchObject({ consumerId: user.id });
  });

  it('SPEC §5.4 / §12: the guest sent with a passkey sign-in that needs the second factor is absorbed when the SMS code completes it', async () => {
    const { user, phone, loginToken, smsProof } = await secondFactorUser();
    const auth = authenticator();
    expect((await register(auth, loginToken, { base: '/v1/user/passkeys', proof: await smsProof() })).status).toBe(201);
    const guest = await startGuest(server);
    const pending = await (await passkeySignIn(auth, { userVerified: false }, { guestToken: guest.accessToken })).json();
    expect(pending.secondFactorRequired).toBe(true);
    // Nothing is linked before the second factor.
    expect((await me(server, guest.accessToken)).status).toBe(200);
    server.clock.advance(61);
    await server.request('/auth/second-factor/request', { json: { secondFactorToken: pending.secondFactorToken }, headers: keyOf() });
    const completed = await server.request('/auth/second-factor/verify', { json: { secondFactorToken: pending.secondFactorToken, code: await latestCode(server, phone) }, headers: keyOf() });
    expect(completed.status).toBe(200);
    expect((await completed.json()).session).toMatchObject({ consumerId: user.id, guestId: guest.session.consumerId });
    expect((await me(server, guest.accessToken)).status).toBe(401);
  });

  it('SPEC §6.2 / §12: API mode — a passkey gives a login token that authorizes (step 3) and exchanges (step 4)', async () => {
    const { session, auth } = await personWithPasskey();
    const client = await createOAuthApp(server);
    const options = await signInOptions({ id: client.id, publishableKey: client.publishableKey, secretKey: client.secretKey }, '/v1/auth/passkey/options');
    const response = await server.request('/v1/auth/passkey/verify', { json: { credential: auth.authenticate(options) }, headers: { 'x-client-key': client.publishableKey } });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual({ accessToken: expect.stringMatching(/^ey/), userId: session.session.consumerId, isOtpRequired: false, phoneNumber: null });

    const { verifier, challenge } = pkce();
    const { token: sessionToken } = await (await initiate(server, standardQuery(client, challenge))).json();
    const authorized = await authorizeStep3(server, client, body.accessToken, sessionToken);
    expect(authorized.status).toBe(200);
    const { code } = await authorized.json();
    const tokens = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: verifier }, { id: client.publishableKey, secret: client.secretKey });
    expect(tokens.status).toBe(200);
  });

  it('SPEC §6.2 / §12: API mode without user verification asks for the SMS code (isOtpRequired), then a new assertion with otpCode signs in', async () => {
    const { user, phone, loginToken, smsProof } = await secondFactorUser();
    const auth = authenticator();
    expect((await register(auth, loginToken, { base: '/v1/user/passkeys', proof: await smsProof() })).status).toBe(201);
    const attempt = async (otpCode?: string) => {
      const options = await signInOptions(undefined, '/v1/auth/passkey/options');
      const response = await server.request('/v1/auth/passkey/verify', {
        json: { credential: auth.authenticate(options, { userVerified: false }), ...(otpCode ? { otpCode } : {}) }, headers: { 'x-client-key': server.demo.publishableKey },
      });
      expect(response.status).toBe(200);
      return response.json();
    };
    expect(await attempt()).toEqual({ accessToken: null, userId: user.id, isOtpRequired: true, phoneNumber: `${phone.slice(0, 2)}•••${phone.slice(-2)}`, secondFactors: ['sms'] });
    server.clock.advance(61);
    await server.request('/v1/auth/login/otp', { json: { userId: user.id }, headers: { 'x-client-key': server.demo.publishableKey } });
    const signedIn = await attempt(await latestCode(server, phone));
    expect(signedIn).toMatchObject({ accessToken: expect.stringMatching(/^ey/), isOtpRequired: false });
  });

  it('SPEC §12: registering a passkey takes the person\'s second factor too — a session or login token alone is refused (403 step_up_required)', async () => {
    // The review's attack: an API-mode app holding a TOTP user's login token mints a passkey and then
    // signs in with user verification, past the TOTP factor. Refused without a current proof.
    const session = await signInByEmail(server, freshEmail());
    const bearerCall = (path: string, body?: object) => server.request(path, { method: 'POST', headers: bearer(session.accessToken), ...(body ? { json: body } : {}) });
    const { secret } = await (await bearerCall('/consumers/me/second-factors/totp')).json();
    expect((await bearerCall('/consumers/me/second-factors/totp/confirm', { totpCode: totp(secret, server.clock.now()) })).status).toBe(200);
    const auth = authenticator();
    const refused = await register(auth, session.accessToken);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'step_up_required' });
    expect((await register(auth, session.accessToken, { proof: { totpCode: '000000' } })).status).toBe(401);
    expect((await register(auth, session.accessToken, { proof: { code: '123456' } })).status).toBe(400); // no SMS factor
    expect((await (await server.request('/consumers/me/passkeys', { headers: bearer(session.accessToken) })).json()).passkeys).toEqual([]);
    server.clock.advance(30);
    const accepted = await register(auth, session.accessToken, { proof: { totpCode: totp(secret, server.clock.now()) } });
    expect(accepted.status).toBe(201);
    // The step was spent: the same code does not register a second passkey.
    expect((await register(authenticator(), session.accessToken, { proof: { totpCode: totp(secret, server.clock.now()) } })).status).toBe(401);
  });

  it('SPEC §12: without user verification, a person with an authenticator app must give its code — consumer API and API mode; with it, no second factor', async () => {
    const { session, auth } = await personWithPasskey();
    const bearerCall = (path: string, body?: object) => server.request(path, { method: 'POST', headers: bearer(session.accessToken), ...(body ? { json: body } : {}) });
    const { secret } = await (await bearerCall('/consumers/me/second-factors/totp')).json();
    expect((await bearerCall('/consumers/me/second-factors/totp/confirm', { totpCode: totp(secret, server.clock.now()) })).status).toBe(200);

    // Consumer API: the pending state names TOTP only (no phone), and the app's code completes it.
    const pending = await (await verify(auth.authenticate(await signInOptions(), { userVerified: false }))).json();
    expect(pending).toMatchObject({ secondFactorRequired: true, secondFactor: 'totp', secondFactors: ['totp'] });
    expect(pending.phoneNumber).toBeUndefined();
    server.clock.advance(30);
    const completed = await server.request('/auth/second-factor/verify', { json: { secondFactorToken: pending.secondFactorToken, totpCode: totp(secret, server.clock.now()) }, headers: keyOf() });
    expect(completed.status).toBe(200);
    expect((await completed.json()).session.consumerId).toBe(session.session.consumerId);

    // API mode: isOtpRequired with secondFactors, then a new assertion with totpCode gives the login token.
    const apiMode = async (extra: object) => {
      const options = await signInOptions(undefined, '/v1/auth/passkey/options');
      const response = await server.request('/v1/auth/passkey/verify', { json: { credential: auth.authenticate(options, { userVerified: false }), ...extra }, headers: { 'x-client-key': server.demo.publishableKey } });
      return { status: response.status, body: await response.json() };
    };
    expect(await apiMode({})).toEqual({ status: 200, body: { accessToken: null, userId: session.session.consumerId, isOtpRequired: true, phoneNumber: null, secondFactors: ['totp'] } });
    expect((await apiMode({ totpCode: '000000' })).status).toBe(401);
    server.clock.advance(30);
    expect(await apiMode({ totpCode: totp(secret, server.clock.now()) })).toMatchObject({ status: 200, body: { accessToken: expect.stringMatching(/^ey/), isOtpRequired: false } });

    // With user verification the passkey is both factors.
    const verified = await verify(auth.authenticate(await signInOptions(), { userVerified: true }));
    expect(await verified.json()).toMatchObject({ session: { consumerId: session.session.consumerId } });
  });

  it('SPEC §10: the admin API lists a consumer\'s passkeys and removes one, which then signs in nowhere', async () => {
    const { session, passkey, auth } = await personWithPasskey();
    const consumerId = session.session.consumerId;
    const listed = await adminRequest(server, admin, 'GET', `/admin/v1/consumers/${consumerId}/passkeys`);
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({ data: [passkey] });
    const readOnly = await createAdminToken(server, { readOnly: true });
    expect((await adminRequest(server, readOnly, 'DELETE', `/admin/v1/consumers/${consumerId}/passkeys/${passkey.id}`)).status).toBe(403);
    expect((await adminRequest(server, admin, 'DELETE', `/admin/v1/consumers/${consumerId}/passkeys/${passkey.id}`)).status).toBe(204);
    expect((await adminRequest(server, admin, 'DELETE', `/admin/v1/consumers/${consumerId}/passkeys/${passkey.id}`)).status).toBe(404);
    const [removed] = (await audit('passkey.removed')).filter((e) => e.data.passkeyId === passkey.id);
    expect(removed!.data).toEqual({ consumerId, passkeyId: passkey.id, actor: { type: 'admin_token', id: admin.id, name: 'test token' } });
    expect((await passkeySignIn(auth)).status).toBe(401);
  });

  it('SPEC §10: a disabled person\'s valid passkey → 403 consumer_disabled in both APIs; their passkeys cannot be managed', async () => {
    const { session, auth } = await personWithPasskey();
    expect((await adminRequest(server, admin, 'POST', `/admin/v1/consumers/${session.session.consumerId}/disable`)).status).toBe(200);
    const consumerApi = await passkeySignIn(auth);
    expect(consumerApi.status).toBe(403);
    expect((await consumerApi.json()).error).toBe('consumer_disabled');
    const options = await signInOptions(undefined, '/v1/auth/passkey/options');
    const apiMode = await server.request('/v1/auth/passkey/verify', { json: { credential: auth.authenticate(options) }, headers: { 'x-client-key': server.demo.publishableKey } });
    expect(apiMode.status).toBe(403);
    expect((await apiMode.json()).error).toBe('consumer_disabled');
    // The disable ended the session whose token would manage them.
    expect((await server.request('/consumers/me/passkeys', { headers: bearer(session.accessToken) })).status).toBe(401);
  });

  it('SPEC §10: erasing a consumer erases their passkeys', async () => {
    const { session } = await personWithPasskey();
    const erased = await adminRequest(server, admin, 'DELETE', `/admin/v1/consumers/${session.session.consumerId}`);
    expect(erased.status).toBe(200);
    expect((await erased.json()).erased).toMatchObject({ passkeys: 1 });
    expect(await server.server.runtime.store.listPasskeys(session.session.consumerId)).toEqual([]);
  });

  it('SPEC §3: a malformed credential is a validation error, never a 5xx', async () => {
    for (const credential of [undefined, {}, { id: 'a', rawId: 'a', type: 'public-key', response: { clientDataJSON: '!!', authenticatorData: 'a', signature: 'a' } }]) {
      const response = await server.request('/auth/passkey/verify', { json: { credential }, headers: keyOf() });
      expect(response.status).toBe(400);
      expect((await response.json()).error).toBe('validation_error');
    }
    const garbage = await server.request('/auth/passkey/verify', {
      json: { credential: { id: 'a', rawId: 'a', type: 'public-key', response: { clientDataJSON: 'bm90IGpzb24', authenticatorData: 'a', signature: 'a' } } }, headers: keyOf(),
    });
    expect(garbage.status).toBe(400);
    expect((await garbage.json()).error).toBe('passkey_challenge_invalid');
  });
});
