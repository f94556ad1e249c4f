import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSecondFactorPending, signSecondFactorPending } from '../src/flows/login.js';
import { describeEachEngine } from './helpers/engines.js';
import { IDENTITY, me, signIn } from './helpers/flows.js';
import { authorizeStep3, basicOf, createOAuthApp, createPasswordUser, initiate, loginToken, obtainCode, pkce, standardQuery, tokenRequest, type OAuthApp } from './helpers/oauth.js';
import { codeFor, createOidcApp, exchange, userInfo } from './helpers/oidc.js';
import { latestCode, requestOtp, verifyOtp } from './helpers/otp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * RFC 8725 §3.11: each kind of JWT the server signs has its own `typ`, and each verifier accepts only
 * its own. Every kind is checked the same way: a real token of that kind is re-signed by the server's
 * own keyring with its claims untouched and only `typ` changed. Under its own `typ` it is accepted
 * (so the claims, signature and session are good); under every other kind's `typ` it is refused —
 * so the refusal can only come from the type.
 */
const TYPS = {
  consumerAccess: 'consumer+jwt',
  beacon: 'beacon+jwt',
  oauthAccess: 'at+jwt',
  login: 'login+jwt',
  authorizationSession: 'authz-session+jwt',
  secondFactorChallenge: 'second-factor-challenge+jwt',
  hostedSecondFactor: 'second-factor+jwt',
  /** OpenID Connect ID tokens keep `JWT`; they are RS256, but here an EdDSA token under that `typ`. */
  idToken: 'JWT',
} as const;

describeEachEngine('RFC 8725 §3.11: one `typ` per JWT kind', (engine) => {
  let server: TestServer;
  let app: OAuthApp;
  beforeAll(async () => {
    server = await startTestServer(engine);
    app = await createOAuthApp(server);
  });
  afterAll(() => server?.close());

  const resign = (token: string, typ: string) => server.server.runtime.deps.keyring.sign(decodeJwt(token), typ);

  /** Refused under every other kind's `typ` (checked first: a refused try must not spend it), then accepted under its own. */
  async function onlyItsOwnType(token: string, own: string, accepted: (token: string) => Promise<boolean>) {
    expect(decodeProtectedHeader(token).typ).toBe(own);
    const others = Object.values(TYPS).filter((typ) => typ !== own);
    expect(others).toHaveLength(Object.keys(TYPS).length - 1);
    for (const typ of others) expect({ typ, accepted: await accepted(await resign(token, typ)) }).toEqual({ typ, accepted: false });
    expect(await accepted(await resign(token, own))).toBe(true);
  }

  it('RFC 8725 §3.11: a consumer access token is accepted only as `consumer+jwt` — not as an ID token (`JWT`), a beacon, an OAuth access or a login token', async () => {
    const session = await signIn(server, server.demo, { ...IDENTITY, subject: 'typ-consumer' });
    await onlyItsOwnType(session.accessToken, TYPS.consumerAccess, async (token) => (await me(server, token)).status === 200);
    // The beacon token is its own kind, and never an access token.
    expect(decodeProtectedHeader(session.beaconToken).typ).toBe(TYPS.beacon);
  });

  it('RFC 8725 §3.11: a login token is accepted only as `login+jwt`', async () => {
    const user = await createPasswordUser(server);
    const token = await loginToken(server, app, user.email, user.password);
    await onlyItsOwnType(token, TYPS.login, async (t) => (await server.request('/v1/user', { headers: { authorization: `Bearer ${t}` } })).status === 200);
  });

  it('RFC 8725 §3.11 / RFC 9068 §2.1: an OAuth access token is accepted only as `at+jwt`, at /v1/user and by introspection', async () => {
    const user = await createPasswordUser(server);
    const { code, verifier } = await obtainCode(server, app, user);
    const exchanged = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier }, basicOf(app));
    expect(exchanged.status).toBe(200);
    const { access_token: accessToken } = await exchanged.json();
    await onlyItsOwnType(accessToken, TYPS.oauthAccess, async (t) => (await server.request('/v1/user', { headers: { authorization: `Bearer ${t}` } })).status === 200);
    const introspect = async (t: string) =>
      (await (await server.request('/v1/auth/oauth/introspect', {
        method: 'POST', body: new URLSearchParams({ token: t }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.publishableKey}:${app.secretKey}`).toString('base64')}` },
      })).json()).active === true;
    await onlyItsOwnType(accessToken, TYPS.oauthAccess, introspect);
  });

  it('RFC 8725 §3.11: an authorization session (OAuth step 1) is accepted at step 3 only as `authz-session+jwt`', async () => {
    const user = await createPasswordUser(server);
    const userToken = await loginToken(server, app, user.email, user.password);
    const started = await initiate(server, standardQuery(app, pkce().challenge));
    expect(started.status).toBe(200);
    const { token: sessionToken } = await started.json();
    await onlyItsOwnType(sessionToken, TYPS.authorizationSession, async (t) => (await authorizeStep3(server, app, userToken, t)).status === 200);
  });

  it('RFC 8725 §3.11: a consumer-API second-factor challenge is accepted only as `second-factor-challenge+jwt`', async () => {
    const user = await createPasswordUser(server, { phone: '+14155550987' });
    expect((await requestOtp(server, { email: user.email })).status).toBe(200);
    const verified = await verifyOtp(server, { email: user.email, code: await latestCode(server, user.email) });
    expect(verified.status).toBe(200);
    const { secondFactorToken } = await verified.json();
    await onlyItsOwnType(secondFactorToken, TYPS.secondFactorChallenge, async (t) =>
      (await server.request('/auth/second-factor/request', { json: { secondFactorToken: t }, headers: { 'x-publishable-key': server.demo.publishableKey } })).status === 200);
  });

  it('RFC 8725 §3.11: a hosted second-factor token is accepted only as `second-factor+jwt`', async () => {
    const { deps } = server.server.runtime;
    const user = await createPasswordUser(server, { phone: '+14155550988' });
    const application = (await deps.store.getApplication(app.id))!;
    const consumer = (await deps.store.getConsumer(user.id))!;
    const pending = await signSecondFactorPending(deps, application, consumer, 'req_typ');
    await onlyItsOwnType(pending, TYPS.hostedSecondFactor, async (t) => (await readSecondFactorPending(deps, application, t, 'req_typ')) !== undefined);
  });
  it('SPEC §9: an ID token (RS256, `JWT`) is never a bearer credential — not at /v1/user, UserInfo, introspection or DELETE revoke', async () => {
    const oidcApp = await createOidcApp(server);
    const user = await createPasswordUser(server);
    const { code, verifier } = await codeFor(server, oidcApp, user, { scope: 'openid email' });
    const tokens = await exchange(server, oidcApp, code, verifier);
    expect(decodeProtectedHeader(tokens.id_token)).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    const bearer = { authorization: `Bearer ${tokens.id_token}` };
    expect((await server.request('/v1/user', { headers: bearer })).status).toBe(401);
    expect((await userInfo(server, tokens.id_token)).status).toBe(401);
    expect((await server.request('/v1/auth/oauth/revoke', { method: 'DELETE', headers: { ...bearer, 'x-client-key': oidcApp.publishableKey } })).status).toBe(401);
    const introspected = await server.request('/v1/auth/oauth/introspect', {
      method: 'POST', body: new URLSearchParams({ token: tokens.id_token }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${oidcApp.publishableKey}:${oidcApp.secretKey}`).toString('base64')}` },
    });
    expect(await introspected.json()).toEqual({ active: false });
    // The access token of the same response is good: the refusals are about the ID token.
    expect((await userInfo(server, tokens.access_token)).status).toBe(200);
  });

  it('SPEC §9: RS256 is accepted for OAuth access tokens only — a login token signed RS256 is refused', async () => {
    const user = await createPasswordUser(server);
    const token = await loginToken(server, app, user.email, user.password);
    const asRsa = await server.server.runtime.deps.keyring.sign(decodeJwt(token), TYPS.login, 'RS256');
    expect(decodeProtectedHeader(asRsa)).toMatchObject({ alg: 'RS256', typ: TYPS.login });
    expect((await server.request('/v1/user', { headers: { authorization: `Bearer ${asRsa}` } })).status).toBe(401);
    expect((await server.request('/v1/user', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });
});
