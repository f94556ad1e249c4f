import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashPassword } from '../src/crypto/passwords.js';
import { generateId } from '../src/crypto/random.js';
import { newConsumer } from '../src/flows/new-consumer.js';
import { describeEachEngine } from './helpers/engines.js';
import { basicOf, createPasswordUser, login, tokenRequest, type OAuthApp } from './helpers/oauth.js';
import { codeFor, createOidcApp, exchange, userInfo } from './helpers/oidc.js';
import { latestCode, requestOtp, verifyOtp } from './helpers/otp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const PASSWORD = 'correct horse battery staple';
const ADDRESS = { street_address: '1 Analytical Row', locality: 'London', country: 'GB' };

describeEachEngine('OpenID Connect UserInfo (SPEC §9, Core §5.3)', (engine) => {
  let server: TestServer;
  let app: OAuthApp;
  beforeAll(async () => {
    server = await startTestServer(engine);
    app = await createOidcApp(server);
  });
  afterAll(() => server?.close());

  /** A password user with a phone (no second factor) and the claims a backend may have sent. */
  async function createPerson(claims: Record<string, unknown> = {}, fields: { fullName?: string | null; phone?: string | null } = {}) {
    const { deps } = server.server.runtime;
    const organizationId = (await deps.store.findOrganizationByName('default'))!.id;
    const email = `person-${randomBytes(4).toString('hex')}@example.com`;
    const now = server.clock.now();
    const consumer = {
      ...newConsumer({ organizationId, environment: 'test' }, 'authenticated', now, {
        email, phone: fields.phone === undefined ? '+14155550100' : fields.phone, fullName: fields.fullName === undefined ? 'Ada King Lovelace' : fields.fullName,
      }),
      claims,
    };
    await deps.store.createConsumerWithIdentity(consumer, generateId('idn_', now), { provider: 'email', issuer: 'latchkey', subject: email });
    await deps.store.setPasswordHash(consumer.id, await hashPassword(PASSWORD, deps.passwordHashing), now);
    return { id: consumer.id, email, password: PASSWORD, updatedAt: Math.floor(now / 1000) };
  }

  async function accessToken(person: { email: string; password: string }, scope: string, claims?: object): Promise<string> {
    const { code, verifier } = await codeFor(server, app, person, { scope, ...(claims ? { claims } : {}) });
    return (await exchange(server, app, code, verifier)).access_token;
  }

  it('OpenID Connect Core §5.4: every scope → its standard claims, as application/json', async () => {
    const person = await createPerson({ address: ADDRESS });
    const token = await accessToken(person, 'openid profile email phone address');
    const response = await userInfo(server, token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      sub: person.id, name: 'Ada King Lovelace', given_name: 'Ada', family_name: 'King Lovelace', updated_at: person.updatedAt,
      email: person.email, email_verified: false, phone_number: '+14155550100', phone_number_verified: false, address: ADDRESS,
    });
  });

  it('OpenID Connect Core §5.4: only the scopes granted — `openid email` sees sub, email, email_verified', async () => {
    const person = await createPerson({ address: ADDRESS });
    expect(await (await userInfo(server, await accessToken(person, 'openid email'))).json()).toEqual({ sub: person.id, email: person.email, email_verified: false });
    expect(await (await userInfo(server, await accessToken(person, 'openid'))).json()).toEqual({ sub: person.id });
  });

  it('OpenID Connect Core §5.3.2: claims with no value are omitted; the backend\'s given_name / family_name win; an address that is no object is no address', async () => {
    const person = await createPerson({ given_name: 'Augusta Ada', family_name: 'Byron', address: '1 Analytical Row' }, { fullName: null, phone: null });
    expect(await (await userInfo(server, await accessToken(person, 'openid profile phone address'))).json()).toEqual({
      sub: person.id, name: 'Augusta Ada Byron', given_name: 'Augusta Ada', family_name: 'Byron', updated_at: person.updatedAt,
    });
  });

  it('OpenID Connect Core §5.5: claims asked for under userinfo are answered beyond the scopes; those under id_token are not', async () => {
    const person = await createPerson();
    const token = await accessToken(person, 'openid', { userinfo: { email: { essential: true }, phone_number: null }, id_token: { family_name: null } });
    expect(await (await userInfo(server, token)).json()).toEqual({ sub: person.id, email: person.email, phone_number: '+14155550100' });
  });

  it('RFC 6750 §2.2: POST with access_token in a form body answers as GET does', async () => {
    const person = await createPerson();
    const token = await accessToken(person, 'openid email');
    const response = await server.request('/v1/auth/oauth/userinfo', {
      method: 'POST', body: new URLSearchParams({ access_token: token }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: person.id, email: person.email, email_verified: false });
    const viaHeader = await userInfo(server, token, { method: 'POST' });
    expect(await viaHeader.json()).toEqual({ sub: person.id, email: person.email, email_verified: false });
  });

  it('RFC 6750 §2.3 / RFC 9700 §4.3.2: an access token in the query string is refused, even a good one; RFC 6750 §2: one method only', async () => {
    const person = await createPerson();
    const token = await accessToken(person, 'openid');
    for (const method of ['GET', 'POST']) {
      const response = await server.request(`/v1/auth/oauth/userinfo?access_token=${token}`, { method });
      expect(response.status).toBe(400);
      expect((await response.json()).error).toBe('invalid_request');
    }
    const twice = await server.request('/v1/auth/oauth/userinfo', {
      method: 'POST', body: new URLSearchParams({ access_token: token }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
    });
    expect(twice.status).toBe(400);
    expect((await twice.json()).error).toBe('invalid_request');
    expect(twice.headers.get('www-authenticate')).toBe('Bearer realm="latchkey", error="invalid_request"');
  });

  it('RFC 6750 §3.1: no token → 401 with a bare Bearer challenge; a bad, expired or revoked token → 401 invalid_token', async () => {
    const none = await userInfo(server, undefined);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="latchkey"');
    const challenge = 'Bearer realm="latchkey", error="invalid_token"';
    const garbage = await userInfo(server, 'not-a-jwt');
    expect({ status: garbage.status, challenge: garbage.headers.get('www-authenticate'), error: (await garbage.json()).error }).toEqual({ status: 401, challenge, error: 'invalid_token' });

    const person = await createPerson();
    const { code, verifier } = await codeFor(server, app, person, { scope: 'openid offline_access' });
    const tokens = await exchange(server, app, code, verifier);
    expect((await userInfo(server, tokens.access_token)).status).toBe(200);
    // RFC 7009: revoking the refresh token ends the family, its access tokens with it.
    const revoke = await server.request('/v1/auth/oauth/revoke', {
      method: 'POST', body: new URLSearchParams({ token: tokens.refresh_token }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.publishableKey}:${app.secretKey}`).toString('base64')}` },
    });
    expect(revoke.status).toBe(200);
    const revoked = await userInfo(server, tokens.access_token);
    expect({ status: revoked.status, challenge: revoked.headers.get('www-authenticate') }).toEqual({ status: 401, challenge });

    const live = await accessToken(person, 'openid');
    server.clock.advance(21600 + 120);
    const expired = await userInfo(server, live);
    expect({ status: expired.status, challenge: expired.headers.get('www-authenticate') }).toEqual({ status: 401, challenge });
  });

  it('OpenID Connect Core §5.3.3 / RFC 6750 §3.1: an access token without openid → 403 insufficient_scope', async () => {
    const person = await createPerson();
    const response = await userInfo(server, await accessToken(person, 'profile email'));
    expect(response.status).toBe(403);
    expect((await response.json()).error).toBe('insufficient_scope');
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="latchkey", error="insufficient_scope", scope="openid"');
  });

  it('SPEC §9: only OAuth access tokens — a login token and an ID token are refused with 401 invalid_token', async () => {
    const person = await createPerson();
    const { code, verifier, userToken } = await codeFor(server, app, person, { scope: 'openid' });
    const { id_token: idToken } = await exchange(server, app, code, verifier);
    for (const token of [userToken, idToken]) {
      const response = await userInfo(server, token);
      expect(response.status).toBe(401);
      expect((await response.json()).error).toBe('invalid_token');
    }
  });

  it('SPEC §6.7: /v1/user keeps its own shape for the same token', async () => {
    const person = await createPerson();
    const token = await accessToken(person, 'openid profile email');
    const response = await server.request('/v1/user', { headers: { authorization: `Bearer ${token}` } });
    expect(await response.json()).toEqual({ id: person.id, email: person.email, firstName: 'Ada', lastName: 'King Lovelace' });
  });

  it('OpenID Connect Core §5.1: email_verified once a code sent to the email was entered (consumer API OTP verify)', async () => {
    const person = await createPasswordUser(server);
    const { deps } = server.server.runtime;
    expect((await deps.store.getConsumer(person.id))!.emailVerifiedAt).toBeNull();
    expect((await requestOtp(server, { email: person.email })).status).toBe(200);
    const verified = await verifyOtp(server, { email: person.email, code: await latestCode(server, person.email) });
    expect(verified.status).toBe(200);
    expect((await deps.store.getConsumer(person.id))!.emailVerifiedAt).toBe(server.clock.now());
    const token = await accessToken(person, 'openid email');
    expect(await (await userInfo(server, token)).json()).toEqual({ sub: person.id, email: person.email, email_verified: true });
  });

  it('OpenID Connect Core §5.1: phone_number_verified once the SMS code of the second factor was entered (/v1/auth/login with otpCode)', async () => {
    const person = await createPasswordUser(server, { phone: '+14155550111' });
    const { deps } = server.server.runtime;
    expect((await login(server, app, person.email, person.password)).status).toBe(200);
    await server.request('/v1/auth/login/otp', { json: { userId: person.id }, headers: { 'x-client-key': app.publishableKey } });
    const withCode = await login(server, app, person.email, person.password, await latestCode(server, '+14155550111'));
    expect((await withCode.json()).isOtpRequired).toBe(false);
    const consumer = (await deps.store.getConsumer(person.id))!;
    expect(consumer.phoneVerifiedAt).toBe(server.clock.now());
    expect(consumer.emailVerifiedAt).toBeNull();
  });

  it('OpenID Connect Core §5.1: a new consumer made by a phone OTP has its phone verified', async () => {
    const phone = '+14155550122';
    expect((await requestOtp(server, { phone })).status).toBe(200);
    const verified = await verifyOtp(server, { phone, code: await latestCode(server, phone) });
    expect(verified.status).toBe(200);
    const consumerId = decodeJwt((await verified.json()).accessToken).sub!;
    const consumer = (await server.server.runtime.store.getConsumer(consumerId))!;
    expect({ phone: consumer.phone, phoneVerifiedAt: consumer.phoneVerifiedAt }).toEqual({ phone, phoneVerifiedAt: server.clock.now() });
  });

  it('Store.markContactVerified: a proof vouches only for the address the consumer still has', async () => {
    const person = await createPerson();
    const { store } = server.server.runtime;
    await store.markContactVerified(person.id, 'email', 'someone-else@example.com', server.clock.now());
    await store.markContactVerified(person.id, 'phone', '+14155550999', server.clock.now());
    const consumer = (await store.getConsumer(person.id))!;
    expect({ email: consumer.emailVerifiedAt, phone: consumer.phoneVerifiedAt }).toEqual({ email: null, phone: null });
  });

  it('RFC 6749 §6: a refreshed access token keeps its UserInfo', async () => {
    const person = await createPerson();
    const { code, verifier } = await codeFor(server, app, person, { scope: 'openid email offline_access' });
    const first = await exchange(server, app, code, verifier);
    const refreshed = await (await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, basicOf(app))).json();
    expect(await (await userInfo(server, refreshed.access_token)).json()).toEqual({ sub: person.id, email: person.email, email_verified: false });
  });
});
