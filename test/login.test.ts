import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { createOAuthApp, createPasswordUser, login, type OAuthApp } from './helpers/oauth.js';
import { latestCode } from './helpers/otp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describeEachEngine('POST /v1/auth/login, /login/otp, /logout (SPEC §6.2)', (engine) => {
  let server: TestServer;
  let app: OAuthApp;

  beforeAll(async () => {
    server = await startTestServer(engine, { LATCHKEY_RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: '3/900' });
    app = await createOAuthApp(server);
  });
  afterAll(() => server?.close());

  it('wrong password and unknown email → the same 401 invalid_credentials', async () => {
    const user = await createPasswordUser(server);
    const wrong = await login(server, app, user.email, 'not the password');
    const unknown = await login(server, app, 'nobody@example.com', 'not the password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
    expect(await (await login(server, app, user.email, 'again wrong')).json()).toEqual({ error: 'invalid_credentials', message: 'wrong email or password' });
  });

  it('repeated failures lock the account (429), even for the right password', async () => {
    const user = await createPasswordUser(server);
    for (let i = 0; i < 3; i++) expect((await login(server, app, user.email, 'wrong')).status).toBe(401);
    const locked = await login(server, app, user.email, user.password);
    expect(locked.status).toBe(429);
    expect((await locked.json()).error).toBe('rate_limit_exceeded');
    expect(locked.headers.get('retry-after')).toBeTruthy();
    // Another account is not affected.
    const other = await createPasswordUser(server);
    expect((await login(server, app, other.email, other.password)).status).toBe(200);
  });

  it('a burst of concurrent guesses cannot pass the lockout', async () => {
    const user = await createPasswordUser(server);
    const burst = await Promise.all(Array.from({ length: 12 }, () => login(server, app, user.email, 'wrong')));
    expect(burst.filter((r) => r.status === 401)).toHaveLength(3);
    expect(burst.filter((r) => r.status === 429)).toHaveLength(9);
    expect((await login(server, app, user.email, user.password)).status).toBe(429);
  });

  it('a success starts the failure count over', async () => {
    const user = await createPasswordUser(server);
    for (let i = 0; i < 2; i++) await login(server, app, user.email, 'wrong');
    expect((await login(server, app, user.email, user.password)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await login(server, app, user.email, 'wrong')).status).toBe(401);
    expect((await login(server, app, user.email, user.password)).status).toBe(200);
  });

  it('a second factor: isOtpRequired with the masked phone; /login/otp sends the code; login with it succeeds', async () => {
    const user = await createPasswordUser(server, { phone: '+14155550199' });
    const first = await login(server, app, user.email, user.password);
    // SPEC §12: the factors that can complete it are listed too (a back-compatible addition).
    expect(await first.json()).toEqual({ accessToken: null, userId: user.id, isOtpRequired: true, phoneNumber: '+1•••99', secondFactors: ['sms'] });
    const sent = await server.request('/v1/auth/login/otp', { json: { userId: user.id }, headers: { 'x-client-key': app.publishableKey } });
    expect(await sent.json()).toEqual({ success: true });
    const code = await latestCode(server, '+14155550199');
    const wrongCode = await login(server, app, user.email, user.password, code === '000000' ? '111111' : '000000');
    expect((await wrongCode.json()).isOtpRequired).toBe(true);
    const second = await login(server, app, user.email, user.password, code);
    expect(await second.json()).toEqual({ accessToken: expect.stringMatching(/^ey/), userId: user.id, isOtpRequired: false, phoneNumber: '+1•••99' });
    // Single use.
    expect((await (await login(server, app, user.email, user.password, code)).json()).isOtpRequired).toBe(true);
  });

  it('/login/otp answers the same for an unknown user id, and for a resend inside the cooldown', async () => {
    const unknown = await server.request('/v1/auth/login/otp', { json: { userId: 'con_nobody' }, headers: { 'x-client-key': app.publishableKey } });
    const user = await createPasswordUser(server, { phone: '+14155550142' });
    const send = () => server.request('/v1/auth/login/otp', { json: { userId: user.id }, headers: { 'x-client-key': app.publishableKey } });
    const first = await send();
    const resend = await send();
    for (const response of [unknown, first, resend]) {
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ success: true });
    }
  });

  it('logout → { success: true } and the login token is dead at once', async () => {
    const user = await createPasswordUser(server);
    const { accessToken } = await (await login(server, app, user.email, user.password)).json();
    expect((await server.request('/v1/user', { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(200);
    const response = await server.request('/v1/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } });
    expect(await response.json()).toEqual({ success: true });
    const after = await server.request('/v1/user', { headers: { authorization: `Bearer ${accessToken}` } });
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('SPEC §4: the login token lives 6 hours', async () => {
    const user = await createPasswordUser(server);
    const { accessToken } = await (await login(server, app, user.email, user.password)).json();
    server.clock.advance(6 * 3600 - 1);
    expect((await server.request('/v1/user', { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(200);
    server.clock.advance(2);
    expect((await server.request('/v1/user', { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(401);
  });

  it('a consumer access token is not a login token', async () => {
    const created = await server.request('/auth/guest', { method: 'POST', headers: { 'x-publishable-key': server.demo.publishableKey } });
    expect(created.status).toBe(200);
    const guest = await created.json();
    // A real, valid consumer access token — accepted where one is expected — …
    expect((await server.request('/consumers/me', { headers: { authorization: `Bearer ${guest.accessToken}` } })).status).toBe(200);
    // …and refused where a login token is.
    expect((await server.request('/v1/user', { headers: { authorization: `Bearer ${guest.accessToken}` } })).status).toBe(401);
  });

  it('passwords are stored as argon2id hashes', async () => {
    const user = await createPasswordUser(server);
    const { deps } = server.server.runtime;
    const organization = (await deps.store.findOrganizationByName('default'))!;
    const found = await deps.store.findPasswordUser({ organizationId: organization.id, environment: 'test' }, user.email);
    expect(found!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });
});
