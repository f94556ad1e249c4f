import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateId } from '../src/crypto/random.js';
import { signSecondFactorPending } from '../src/flows/login.js';
import { issueSecondFactorChallenge } from '../src/flows/second-factor-challenge.js';
import { needsSecondFactor, secondFactorsFor } from '../src/flows/second-factor-rule.js';
import { confirmTotpEnrollment, startTotpEnrollment } from '../src/flows/totp.js';
import { describeEachEngine } from './helpers/engines.js';
import { me } from './helpers/flows.js';
import { createOAuthApp, createPasswordUser, initiate, login, pkce, standardQuery, type OAuthApp } from './helpers/oauth.js';
import { latestCode, requestOtp, startGuest, verifyOtp } from './helpers/otp.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { totp } from './helpers/totp.js';

describe('SPEC §12: the second-factor rule (secondFactorsFor)', () => {
  const phone = '+14155550100';
  const none = { secondFactor: null, phone: null, totpEnabledAt: null } as const;
  const sms = { secondFactor: 'sms', phone, totpEnabledAt: null } as const;
  const app = { secondFactor: null, phone: null, totpEnabledAt: 1 } as const;
  const both = { secondFactor: 'sms', phone, totpEnabledAt: 1 } as const;
  const byEmail = { via: 'otp', channel: 'email', destination: 'a@example.com' } as const;
  const bySms = { via: 'otp', channel: 'sms', destination: phone } as const;

  it('SPEC §12: no factor set → none needed, whatever the first factor', () => {
    for (const first of [undefined, byEmail, bySms, { via: 'passkey', userVerified: false } as const]) expect(secondFactorsFor(none, first)).toEqual([]);
  });

  it('SPEC §12: password or email code → every factor the person set, TOTP first', () => {
    for (const first of [undefined, { via: 'password' } as const, byEmail]) {
      expect(secondFactorsFor(sms, first)).toEqual(['sms']);
      expect(secondFactorsFor(app, first)).toEqual(['totp']);
      expect(secondFactorsFor(both, first)).toEqual(['totp', 'sms']);
    }
  });

  it('SPEC §12: an SMS code to the phone is the SMS factor — never the TOTP factor', () => {
    expect(secondFactorsFor(sms, bySms)).toEqual([]);
    expect(secondFactorsFor(both, bySms)).toEqual(['totp']);
    expect(secondFactorsFor(app, { via: 'otp', channel: 'sms', destination: '+14155550999' })).toEqual(['totp']);
    // The older call shape (an OTP destination) means the same.
    expect(secondFactorsFor(both, { channel: 'sms', destination: phone })).toEqual(['totp']);
  });

  it('SPEC §12: a passkey with user verification needs no second factor; one without needs every factor', () => {
    expect(needsSecondFactor(both, { via: 'passkey', userVerified: true })).toBe(false);
    expect(secondFactorsFor(both, { via: 'passkey', userVerified: false })).toEqual(['totp', 'sms']);
    expect(needsSecondFactor(app, { via: 'passkey', userVerified: false })).toBe(true);
  });
});

/** Cookies of a response as name → attribute string. */
function cookies(response: Response): Map<string, string> {
  return new Map(response.headers.getSetCookie().map((line) => [line.split('=')[0]!, line]));
}

describeEachEngine('SPEC §12: a TOTP second factor is required on every path a person drives', (engine) => {
  let server: TestServer;
  let oauthApp: OAuthApp;
  let phoneCounter = 300;
  const freshPhone = () => `+1415555${String(++phoneCounter).padStart(4, '0')}`;

  beforeAll(async () => {
    server = await startTestServer(engine);
    oauthApp = await createOAuthApp(server);
  });
  afterAll(() => server?.close());

  /** The code of the current step, after moving the clock past every step used so far. */
  const freshCode = (secret: string) => {
    server.clock.advance(30);
    return totp(secret, server.clock.now());
  };

  /** A password user with an authenticator app (enrolled through the flows) and, with `sms`, the SMS factor too. */
  async function person(options: { sms: boolean }) {
    const phone = options.sms ? freshPhone() : undefined;
    const user = await createPasswordUser(server, phone ? { phone } : {});
    const owner = { consumerId: user.id, sessionType: 'authenticated' as const, signedInAt: server.clock.now() };
    const { deps } = server.server.runtime;
    const { secret } = await startTotpEnrollment(deps, owner);
    const { recoveryCodes } = await confirmTotpEnrollment(deps, owner, totp(secret, server.clock.now()));
    return { user, phone, secret, recoveryCodes };
  }

  const post = (path: string, body: object) => server.request(path, { json: body, headers: { 'x-publishable-key': server.demo.publishableKey } });

  /** /auth/otp/request + /auth/otp/verify for an address: the 200 body. */
  async function verifyByCode(contact: { email: string } | { phone: string }) {
    server.clock.advance(61);
    expect((await requestOtp(server, contact)).status).toBe(200);
    const response = await verifyOtp(server, { ...contact, code: await latestCode(server, 'email' in contact ? contact.email : contact.phone) });
    expect(response.status).toBe(200);
    return response.json();
  }

  describe('consumer API, sign-in by email code (/auth/otp/verify)', () => {
    it('SPEC §12: TOTP only → pending with secondFactors [totp]; the SMS code is not an option; totpCode completes it', async () => {
      const { user, secret } = await person({ sms: false });
      const body = await verifyByCode({ email: user.email });
      expect(body).toEqual({ secondFactorRequired: true, secondFactor: 'totp', secondFactors: ['totp'], secondFactorToken: expect.stringMatching(/^ey/), expiresAt: expect.any(String) });
      expect(body).not.toHaveProperty('accessToken');
      const sms = await post('/auth/second-factor/request', { secondFactorToken: body.secondFactorToken });
      expect(sms.status).toBe(400);
      expect((await sms.json()).error).toBe('bad_request');
      expect((await post('/auth/second-factor/verify', { secondFactorToken: body.secondFactorToken, code: '123456' })).status).toBe(400);
      const wrong = await post('/auth/second-factor/verify', { secondFactorToken: body.secondFactorToken, totpCode: totp(secret, server.clock.now(), 9) });
      expect(wrong.status).toBe(401);
      expect((await wrong.json()).error).toBe('totp_invalid');
      const done = await post('/auth/second-factor/verify', { secondFactorToken: body.secondFactorToken, totpCode: freshCode(secret) });
      expect(done.status).toBe(200);
      const session = await done.json();
      expect(session.session).toMatchObject({ type: 'authenticated', consumerId: user.id });
      expect((await me(server, session.accessToken)).status).toBe(200);
      // The challenge is single use, even with a fresh code.
      const replay = await post('/auth/second-factor/verify', { secondFactorToken: body.secondFactorToken, totpCode: freshCode(secret) });
      expect(replay.status).toBe(401);
      expect((await replay.json()).error).toBe('invalid_second_factor_token');
    });

    it('SPEC §12: SMS + TOTP → pending with secondFactors [totp, sms] (secondFactor stays sms); a recovery code completes it, or the SMS code', async () => {
      const { user, phone, recoveryCodes } = await person({ sms: true });
      const body = await verifyByCode({ email: user.email });
      expect(body).toEqual({
        secondFactorRequired: true, secondFactor: 'sms', secondFactors: ['totp', 'sms'], secondFactorToken: expect.any(String),
        phoneNumber: `${phone!.slice(0, 2)}•••${phone!.slice(-2)}`, expiresAt: expect.any(String),
      });
      const done = await post('/auth/second-factor/verify', { secondFactorToken: body.secondFactorToken, recoveryCode: recoveryCodes[0] });
      expect(done.status).toBe(200);
      expect((await done.json()).session.consumerId).toBe(user.id);
      const viaSms = await verifyByCode({ email: user.email });
      expect((await post('/auth/second-factor/request', { secondFactorToken: viaSms.secondFactorToken })).status).toBe(200);
      expect((await post('/auth/second-factor/verify', { secondFactorToken: viaSms.secondFactorToken, code: await latestCode(server, phone!) })).status).toBe(200);
    });
  });

  describe('consumer API, completing with TOTP', () => {
    it('SPEC §5.4: the guest sent with the emailed code is absorbed once the TOTP code completes the sign-in', async () => {
      const { user, secret } = await person({ sms: false });
      const guest = await startGuest(server);
      server.clock.advance(61);
      await requestOtp(server, { email: user.email });
      const pending = await (await verifyOtp(server, { email: user.email, code: await latestCode(server, user.email) }, { guestToken: guest.accessToken })).json();
      expect(pending.secondFactors).toEqual(['totp']);
      // Nothing linked yet.
      expect((await me(server, guest.accessToken)).status).toBe(200);
      const done = await post('/auth/second-factor/verify', { secondFactorToken: pending.secondFactorToken, totpCode: freshCode(secret) });
      expect(done.status).toBe(200);
      expect((await done.json()).session).toMatchObject({ consumerId: user.id, guestId: guest.session.consumerId });
      expect((await me(server, guest.accessToken)).status).toBe(401);
    });

    it('SPEC §10: a person disabled while the sign-in waits for TOTP gets 403 consumer_disabled, and the code is not used up', async () => {
      const { user, secret } = await person({ sms: false });
      const pending = await verifyByCode({ email: user.email });
      const { store } = server.server.runtime;
      await store.disableConsumer(user.id, server.clock.now());
      const code = freshCode(secret);
      const refused = await post('/auth/second-factor/verify', { secondFactorToken: pending.secondFactorToken, totpCode: code });
      expect(refused.status).toBe(403);
      expect((await refused.json()).error).toBe('consumer_disabled');
      await store.enableConsumer(user.id, server.clock.now());
      // Rolled back with the refused sign-in: the same code still works once.
      expect((await post('/auth/second-factor/verify', { secondFactorToken: pending.secondFactorToken, totpCode: code })).status).toBe(200);
    });

    it('SPEC §12 for the passkey flows: a challenge for a passkey without user verification is completed by TOTP (issueSecondFactorChallenge)', async () => {
      const { user, secret } = await person({ sms: false });
      const { deps, store } = server.server.runtime;
      const application = (await store.getApplication(server.demo.id))!;
      const consumer = (await store.getConsumer(user.id))!;
      expect(needsSecondFactor(consumer, { via: 'passkey', userVerified: true })).toBe(false);
      const pending = await issueSecondFactorChallenge(deps, application, consumer, { via: 'passkey', userVerified: false }, undefined);
      expect(pending).toMatchObject({ secondFactorRequired: true, secondFactor: 'totp', secondFactors: ['totp'] });
      expect(pending).not.toHaveProperty('phoneNumber');
      expect((await post('/auth/second-factor/verify', { secondFactorToken: pending.secondFactorToken, code: '123456' })).status).toBe(400);
      const done = await post('/auth/second-factor/verify', { secondFactorToken: pending.secondFactorToken, totpCode: freshCode(secret) });
      expect(done.status).toBe(200);
      expect((await done.json()).session).toMatchObject({ type: 'authenticated', consumerId: user.id });
    });
  });

  describe('consumer API, sign-in by SMS code (/auth/otp/verify with phone)', () => {
    /** Gives the person the `latchkey` phone identity, so an SMS code signs them in. */
    async function withPhoneIdentity(userId: string, phone: string) {
      await server.server.runtime.store.attachExternalIdentity(userId, generateId('idn_'), { provider: 'phone', issuer: 'latchkey', subject: phone }, server.clock.now());
    }

    it('SPEC §12: SMS + TOTP, signing in by SMS code → the SMS code was the first factor: only TOTP can complete it', async () => {
      const { user, phone, secret } = await person({ sms: true });
      await withPhoneIdentity(user.id, phone!);
      const body = await verifyByCode({ phone: phone! });
      expect(body).toEqual({ secondFactorRequired: true, secondFactor: 'totp', secondFactors: ['totp'], secondFactorToken: expect.any(String), expiresAt: expect.any(String) });
      expect((await post('/auth/second-factor/request', { secondFactorToken: body.secondFactorToken })).status).toBe(400);
      const done = await post('/auth/second-factor/verify', { secondFactorToken: body.secondFactorToken, totpCode: freshCode(secret) });
      expect(done.status).toBe(200);
      expect((await done.json()).session).toMatchObject({ consumerId: user.id, phone });
    });

    it('SPEC §12: TOTP only (a phone, no SMS factor), signing in by SMS code → TOTP still required', async () => {
      const phone = freshPhone();
      const { user, secret } = await person({ sms: false });
      const { store } = server.server.runtime;
      await store.updateConsumerContacts(user.id, { phone }, server.clock.now());
      await withPhoneIdentity(user.id, phone);
      expect((await store.getConsumer(user.id))!.secondFactor).toBeNull();
      const body = await verifyByCode({ phone });
      expect(body.secondFactors).toEqual(['totp']);
      expect((await post('/auth/second-factor/verify', { secondFactorToken: body.secondFactorToken, totpCode: freshCode(secret) })).status).toBe(200);
    });
  });

  describe('API mode, password (/v1/auth/login)', () => {
    const loginWith = (user: { email: string; password: string }, extra: object) =>
      server.request('/v1/auth/login', { json: { email: user.email, password: user.password, ...extra }, headers: { 'x-client-key': server.demo.publishableKey } });

    it('SPEC §6.2 / §12: TOTP only → isOtpRequired with secondFactors [totp]; totpCode, or otpCode carrying the app code, signs in', async () => {
      const { user, secret, recoveryCodes } = await person({ sms: false });
      expect(await (await login(server, server.demo, user.email, user.password)).json()).toEqual({
        accessToken: null, userId: user.id, isOtpRequired: true, phoneNumber: null, secondFactors: ['totp'],
      });
      const viaTotp = await (await loginWith(user, { totpCode: freshCode(secret) })).json();
      expect(viaTotp).toEqual({ accessToken: expect.stringMatching(/^ey/), userId: user.id, isOtpRequired: false, phoneNumber: null });
      // Clients written for the SMS second factor send otpCode: for a TOTP-only person it is the app's code.
      expect((await (await loginWith(user, { otpCode: freshCode(secret) })).json()).accessToken).toMatch(/^ey/);
      // …and a wrong one just asks again, as a wrong SMS code does.
      const wrongOtp = await loginWith(user, { otpCode: totp(secret, server.clock.now(), 9) });
      expect(wrongOtp.status).toBe(200);
      expect((await wrongOtp.json()).isOtpRequired).toBe(true);
      expect((await (await loginWith(user, { recoveryCode: recoveryCodes[3] })).json()).accessToken).toMatch(/^ey/);
      // The token works.
      const token = (await (await loginWith(user, { totpCode: freshCode(secret) })).json()).accessToken;
      expect((await server.request('/v1/user', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    });

    it('SPEC §12: SMS + TOTP → secondFactors [totp, sms]; the SMS otpCode or the totpCode signs in', async () => {
      const { user, phone, secret } = await person({ sms: true });
      const first = await (await login(server, server.demo, user.email, user.password)).json();
      expect(first).toEqual({ accessToken: null, userId: user.id, isOtpRequired: true, phoneNumber: `${phone!.slice(0, 2)}•••${phone!.slice(-2)}`, secondFactors: ['totp', 'sms'] });
      expect((await (await loginWith(user, { totpCode: freshCode(secret) })).json()).accessToken).toMatch(/^ey/);
      server.clock.advance(61);
      await server.request('/v1/auth/login/otp', { json: { userId: user.id }, headers: { 'x-client-key': server.demo.publishableKey } });
      expect((await (await loginWith(user, { otpCode: await latestCode(server, phone!) })).json()).accessToken).toMatch(/^ey/);
      // A wrong app code is an error of its own (the person chose the app).
      const wrong = await loginWith(user, { totpCode: totp(secret, server.clock.now(), 9) });
      expect(wrong.status).toBe(401);
      expect((await wrong.json()).error).toBe('totp_invalid');
    });
  });

  describe('hosted pages', () => {
    async function openPage() {
      const { challenge } = pkce();
      const { mode: _mode, ...query } = standardQuery(oauthApp, challenge);
      const started = await initiate(server, query);
      const path = new URL(started.headers.get('location')!).pathname;
      const page = await server.request(path);
      const jar = [...cookies(page).values()].map((line) => line.split(';')[0]).join('; ');
      const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
      return { path, jar, csrf };
    }
    const submit = (path: string, jar: string, form: Record<string, string>) =>
      server.request(path, { method: 'POST', body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar }, redirect: 'manual' });
    const pendingOf = (page: string) => /name="pending" value="([^"]+)"/.exec(page)![1]!;

    it('SPEC §12: password, TOTP only → the page asks for the app code (and offers a recovery code), sends no SMS; the code signs in', async () => {
      const { user, secret } = await person({ sms: false });
      const { path, jar, csrf } = await openPage();
      const asked = await submit(`${path}/login`, jar, { email: user.email, password: user.password, csrf });
      expect(asked.status).toBe(200);
      const page = await asked.text();
      expect(page).toContain('name="totpCode"');
      expect(page).toContain('name="recoveryCode"');
      expect(page).not.toContain('name="code"');
      expect(page).not.toContain('We sent');
      expect(cookies(asked).has('latchkey_session')).toBe(false);
      const wrong = await submit(`${path}/second-factor`, jar, { pending: pendingOf(page), totpCode: totp(secret, server.clock.now(), 9), csrf });
      expect(wrong.status).toBe(401);
      expect(await wrong.text()).toContain('That code is not right.');
      const right = await submit(`${path}/second-factor`, jar, { pending: pendingOf(page), totpCode: freshCode(secret), csrf });
      expect(right.status).toBe(303);
      expect(cookies(right).has('latchkey_session')).toBe(true);
    });

    it('SPEC §12: password, SMS + TOTP → the page offers the app code and the SMS code sent; a recovery code signs in', async () => {
      const { user, phone, recoveryCodes } = await person({ sms: true });
      const { path, jar, csrf } = await openPage();
      server.clock.advance(61);
      const asked = await submit(`${path}/login`, jar, { email: user.email, password: user.password, csrf });
      const page = await asked.text();
      expect(page).toContain('name="totpCode"');
      expect(page).toContain('name="code"');
      expect(page).toContain(`We sent a 6-digit code to ${phone!.slice(0, 2)}•••${phone!.slice(-2)}`);
      expect(await latestCode(server, phone!)).toMatch(/^\d{6}$/);
      const right = await submit(`${path}/second-factor`, jar, { pending: pendingOf(page), recoveryCode: recoveryCodes[0]!.toUpperCase(), csrf });
      expect(right.status).toBe(303);
      expect(cookies(right).has('latchkey_session')).toBe(true);
    });

    it('SPEC §12 for the passkey flows: a hosted pending second factor of a passkey without user verification shows the TOTP field and completes with it', async () => {
      const { user, secret } = await person({ sms: false });
      const { path, jar, csrf } = await openPage();
      const { deps, store } = server.server.runtime;
      const application = (await store.findApplicationByPublishableKey(oauthApp.publishableKey))!;
      const pending = await signSecondFactorPending(deps, application, (await store.getConsumer(user.id))!, path.split('/').pop()!, 'passkey');
      const right = await submit(`${path}/second-factor`, jar, { pending, totpCode: freshCode(secret), csrf });
      expect(right.status).toBe(303);
      expect(cookies(right).has('latchkey_session')).toBe(true);
    });

    it('SPEC §12: wrong app codes on the hosted page are rate limited too (429 page)', async () => {
      const { user, secret } = await person({ sms: false });
      const { path, jar, csrf } = await openPage();
      const page = await (await submit(`${path}/login`, jar, { email: user.email, password: user.password, csrf })).text();
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await submit(`${path}/second-factor`, jar, { pending: pendingOf(page), totpCode: totp(secret, server.clock.now(), 9), csrf })).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    });

    it('SPEC §12: email code, TOTP only → the emailed code does not skip the app code', async () => {
      const { user, secret } = await person({ sms: false });
      const { path, jar, csrf } = await openPage();
      server.clock.advance(61);
      expect((await submit(`${path}/email-code`, jar, { email: user.email, csrf })).status).toBe(200);
      const emailed = await submit(`${path}/email-code/verify`, jar, { email: user.email, code: await latestCode(server, user.email), csrf });
      expect(emailed.status).toBe(200);
      expect(cookies(emailed).has('latchkey_session')).toBe(false);
      const page = await emailed.text();
      expect(page).toContain('name="totpCode"');
      const right = await submit(`${path}/second-factor`, jar, { pending: pendingOf(page), totpCode: freshCode(secret), csrf });
      expect(right.status).toBe(303);
      expect(cookies(right).has('latchkey_session')).toBe(true);
    });

    it('SPEC §12: email code, SMS + TOTP → both offered (the SMS code sent); the SMS code completes it', async () => {
      const { user, phone } = await person({ sms: true });
      const { path, jar, csrf } = await openPage();
      server.clock.advance(61);
      await submit(`${path}/email-code`, jar, { email: user.email, csrf });
      server.clock.advance(61);
      const emailed = await submit(`${path}/email-code/verify`, jar, { email: user.email, code: await latestCode(server, user.email), csrf });
      const page = await emailed.text();
      expect(page).toContain('name="totpCode"');
      expect(page).toContain('name="code"');
      expect(page).toContain('name="recoveryCode"');
      const right = await submit(`${path}/second-factor`, jar, { pending: pendingOf(page), code: await latestCode(server, phone!), csrf });
      expect(right.status).toBe(303);
      expect(cookies(right).has('latchkey_session')).toBe(true);
    });
  });
});
