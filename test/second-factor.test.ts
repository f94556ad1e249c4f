import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateId } from '../src/crypto/random.js';
import { describeEachEngine } from './helpers/engines.js';
import { me } from './helpers/flows.js';
import { createPasswordUser, login } from './helpers/oauth.js';
import { latestCode, requestOtp, startGuest, verifyOtp } from './helpers/otp.js';
import { startTestServer, type TestApp, type TestServer } from './helpers/server.js';

describeEachEngine('second factor in the consumer API (issue 11.2, SPEC §12)', (engine) => {
  let server: TestServer;
  let phoneCounter = 10;
  const freshPhone = () => `+1415555${String(++phoneCounter).padStart(4, '0')}`;

  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());

  const post = (path: string, body: object, options: { app?: TestApp; guestToken?: string } = {}) =>
    server.request(path, {
      json: body,
      headers: { 'x-publishable-key': (options.app ?? server.demo).publishableKey, ...(options.guestToken ? { authorization: `Bearer ${options.guestToken}` } : {}) },
    });
  const requestCode = (secondFactorToken: string, app?: TestApp) => post('/auth/second-factor/request', { secondFactorToken }, { app });
  const complete = (secondFactorToken: string, code: string, options: { app?: TestApp; guestToken?: string } = {}) =>
    post('/auth/second-factor/verify', { secondFactorToken, code }, options);
  const wrongOf = (code: string) => (code === '000000' ? '111111' : '000000');

  /** A user with an SMS second factor who has just verified an emailed code: the pending body. */
  async function pendingSignIn(options: { guestToken?: string; app?: TestApp } = {}) {
    const phone = freshPhone();
    const user = await createPasswordUser(server, { phone });
    expect((await requestOtp(server, { email: user.email }, options.app)).status).toBe(200);
    const response = await verifyOtp(server, { email: user.email, code: await latestCode(server, user.email) }, options);
    expect(response.status).toBe(200);
    return { user, phone, body: await response.json() };
  }

  it('issue 11.2 / SPEC §12: the emailed code alone gives no session to an account with an SMS second factor', async () => {
    const { user, phone, body } = await pendingSignIn();
    // The password path asks for the second factor…
    expect((await (await login(server, server.demo, user.email, user.password)).json()).isOtpRequired).toBe(true);
    // …and so does the code path: a pending state, no token of any kind.
    expect(body).toEqual({
      secondFactorRequired: true, secondFactor: 'sms', secondFactors: ['sms'], secondFactorToken: expect.stringMatching(/^ey/),
      phoneNumber: `${phone.slice(0, 2)}•••${phone.slice(-2)}`, expiresAt: new Date(Math.floor(server.clock.now() / 1000) * 1000 + 600_000).toISOString(),
    });
    expect(body).not.toHaveProperty('accessToken');
    expect(body).not.toHaveProperty('refreshToken');
    // The pending token is not an access token.
    expect((await me(server, body.secondFactorToken)).status).toBe(401);
  });

  it('SPEC §12: request the SMS code with the pending token, then the code completes the sign-in', async () => {
    const { user, phone, body } = await pendingSignIn();
    const sent = await requestCode(body.secondFactorToken);
    expect(sent.status).toBe(200);
    expect(await sent.json()).toEqual({ ok: true });
    const response = await complete(body.secondFactorToken, await latestCode(server, phone));
    expect(response.status).toBe(200);
    const session = await response.json();
    expect(session.session).toEqual({ type: 'authenticated', consumerId: user.id, expiresAt: expect.any(String), email: user.email, phone });
    const profile = await (await me(server, session.accessToken)).json();
    expect(profile).toMatchObject({ id: user.id, email: user.email });
  });

  it('SPEC §12: a wrong code → 401 otp_invalid and the pending sign-in stays usable', async () => {
    const { phone, body } = await pendingSignIn();
    await requestCode(body.secondFactorToken);
    const code = await latestCode(server, phone);
    const wrong = await complete(body.secondFactorToken, wrongOf(code));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'otp_invalid', message: 'wrong code; 4 tries left' });
    expect((await complete(body.secondFactorToken, code)).status).toBe(200);
  });

  it('SPEC §4: the fifth wrong SMS code burns it; a new code sent with the same pending token completes', async () => {
    const { phone, body } = await pendingSignIn();
    await requestCode(body.secondFactorToken);
    const burnt = await latestCode(server, phone);
    for (let attempt = 1; attempt <= 5; attempt++) expect((await complete(body.secondFactorToken, wrongOf(burnt))).status).toBe(401);
    const late = await complete(body.secondFactorToken, burnt);
    expect(late.status).toBe(401);
    expect((await late.json()).error).toBe('otp_expired');
    // Inside the cooldown a resend is refused like any OTP request.
    expect((await requestCode(body.secondFactorToken)).status).toBe(429);
    server.clock.advance(61);
    expect((await requestCode(body.secondFactorToken)).status).toBe(200);
    expect((await complete(body.secondFactorToken, await latestCode(server, phone))).status).toBe(200);
  });

  it('SPEC §12 / SPEC §4: the pending token is single use, even with a fresh code', async () => {
    const { phone, body } = await pendingSignIn();
    await requestCode(body.secondFactorToken);
    expect((await complete(body.secondFactorToken, await latestCode(server, phone))).status).toBe(200);
    server.clock.advance(61);
    const resend = await requestCode(body.secondFactorToken);
    expect(resend.status).toBe(401);
    expect(await resend.json()).toEqual({ error: 'invalid_second_factor_token', message: expect.any(String) });
    const replay = await complete(body.secondFactorToken, '123456');
    expect(replay.status).toBe(401);
    expect((await replay.json()).error).toBe('invalid_second_factor_token');
  });

  it('SPEC §4: concurrent completions with one pending token and its code → exactly one session', async () => {
    const { phone, body } = await pendingSignIn();
    await requestCode(body.secondFactorToken);
    const code = await latestCode(server, phone);
    const responses = await Promise.all(Array.from({ length: 10 }, () => complete(body.secondFactorToken, code)));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('SPEC §12: the pending token is bound to its application', async () => {
    const { phone, body } = await pendingSignIn();
    const other = await server.createApp();
    const foreignRequest = await requestCode(body.secondFactorToken, other);
    expect(foreignRequest.status).toBe(401);
    expect((await foreignRequest.json()).error).toBe('invalid_second_factor_token');
    await requestCode(body.secondFactorToken);
    const code = await latestCode(server, phone);
    const foreign = await complete(body.secondFactorToken, code, { app: other });
    expect(foreign.status).toBe(401);
    expect((await foreign.json()).error).toBe('invalid_second_factor_token');
    // Refused before the code was tried: the application it belongs to still completes.
    expect((await complete(body.secondFactorToken, code)).status).toBe(200);
  });

  it('SPEC §4: the pending token expires with the code, after 10 minutes (injected clock)', async () => {
    const { phone, body } = await pendingSignIn();
    await requestCode(body.secondFactorToken);
    const code = await latestCode(server, phone);
    server.clock.advance(601);
    const late = await complete(body.secondFactorToken, code);
    expect(late.status).toBe(401);
    expect((await late.json()).error).toBe('invalid_second_factor_token');
    expect((await requestCode(body.secondFactorToken)).status).toBe(401);
  });

  it('SPEC §5.4: the guest sent with the emailed code is absorbed once the second factor completes', async () => {
    const guest = await startGuest(server);
    const { user, phone, body } = await pendingSignIn({ guestToken: guest.accessToken });
    // Nothing linked yet: the guest's session still works.
    expect((await me(server, guest.accessToken)).status).toBe(200);
    await requestCode(body.secondFactorToken);
    const response = await complete(body.secondFactorToken, await latestCode(server, phone));
    expect(response.status).toBe(200);
    expect((await response.json()).session).toMatchObject({ consumerId: user.id, guestId: guest.session.consumerId });
    expect((await me(server, guest.accessToken)).status).toBe(401);
  });

  it('SPEC §12: a code to the second-factor phone itself is that factor: it signs in directly', async () => {
    const phone = freshPhone();
    const user = await createPasswordUser(server, { phone });
    const { store } = server.server.runtime;
    const consumer = (await store.getConsumer(user.id))!;
    await store.attachExternalIdentity(user.id, generateId('idn_'), { provider: 'phone', issuer: 'latchkey', subject: phone }, server.clock.now());
    await requestOtp(server, { phone });
    const response = await verifyOtp(server, { phone, code: await latestCode(server, phone) });
    expect(response.status).toBe(200);
    expect((await response.json()).session).toMatchObject({ type: 'authenticated', consumerId: user.id });
  });

  it('SPEC §3: the second-factor bodies are validated and never quote the token back', async () => {
    const token = 'eyJ.secret-looking.token';
    for (const body of [{}, { secondFactorToken: token }, { secondFactorToken: token, code: '12345' }, { secondFactorToken: 42, code: '123456' }]) {
      const response = await post('/auth/second-factor/verify', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const text = await response.text();
      expect(JSON.parse(text).error).toBe('validation_error');
      expect(text).not.toContain('secret-looking');
    }
    const forged = await complete(token, '123456');
    expect(forged.status).toBe(401);
    expect((await forged.json()).error).toBe('invalid_second_factor_token');
    expect((await post('/auth/second-factor/request', { secondFactorToken: '' })).status).toBe(400);
  });
});
