import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { authorizeStep3, basicOf, createOAuthApp, createPasswordUser, initiate, loginToken, pkce, tokenRequest } from './helpers/oauth.js';
import { Browser, authorize, authorizationError, callbackOf, createRelyingParty, type RelyingParty } from './helpers/oidc-rp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// Rules an outside review of the OpenID Connect work found missing (issue 14): the `claims`
// parameter never reaches past the application's scopes or the person's consent; a `sub` value in
// it binds the answer to that person (Core §5.5.1); "PKCE optional" needs an OpenID Connect request;
// an end-session hint ends the client's tokens of that sign-in even when the browser no longer holds
// it; UserInfo's 400s carry the Bearer challenge (RFC 6750 §3.1).
describeEachEngine('issue 14 review: claims, subject, PKCE-optional, end-session and UserInfo rules', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());

  const userinfo = (accessToken: string) => server.request('/v1/auth/oauth/userinfo', { headers: { authorization: `Bearer ${accessToken}` } });

  it('Core §5.5 / SPEC §9: in API mode, claims of a scope the application may not use are dropped from UserInfo and the ID token', async () => {
    const app = await createOAuthApp(server, { scopes: ['openid'] });
    const user = await createPasswordUser(server);
    const { verifier, challenge } = pkce();
    const claims = JSON.stringify({ userinfo: { email: null, name: null }, id_token: { email: null, name: null } });
    const base = { response_type: 'code', client_id: app.publishableKey, redirect_uri: app.redirectUri, code_challenge: challenge, code_challenge_method: 'S256', mode: 'api' };
    expect((await initiate(server, { ...base, scope: 'openid email' })).status).toBe(400);
    const started = await initiate(server, { ...base, scope: 'openid', claims });
    const authorized = await (await authorizeStep3(server, app, await loginToken(server, app, user.email, user.password), (await started.json()).token)).json();
    const tokens = await (await tokenRequest(server, { grant_type: 'authorization_code', code: authorized.code, redirect_uri: app.redirectUri, code_verifier: verifier }, basicOf(app))).json();
    const idToken = decodeJwt(tokens.id_token);
    expect(idToken).not.toHaveProperty('email');
    expect(idToken).not.toHaveProperty('name');
    expect(await (await userinfo(tokens.access_token)).json()).toEqual({ sub: user.id });
  });

  async function signedInWithConsent(rp: RelyingParty, browser: Browser, person: { email: string; password: string }, scope = 'openid') {
    return client.authorizationCodeGrant(rp.config(), callbackOf(await authorize(server, rp, browser, { scope, nonce: 'n1', state: 's1' }, person), rp), {
      expectedNonce: 'n1', expectedState: 's1', idTokenExpected: true,
    });
  }

  it('SPEC §7: remembered consent for openid does not cover claims asked through claims — prompt=none → consent_required; shown and approved, it is remembered', async () => {
    const rp = await createRelyingParty(server);
    const user = await createPasswordUser(server);
    const browser = new Browser(server);
    await signedInWithConsent(rp, browser, user);
    const claims = JSON.stringify({ userinfo: { email: null, name: null }, id_token: { email: { essential: true } } });
    const silent = await authorize(server, rp, browser, { scope: 'openid', nonce: 'n2', state: 's2', prompt: 'none', claims });
    expect(authorizationError(silent, rp)).toMatchObject({ error: 'consent_required', state: 's2' });

    const asked = await authorize(server, rp, browser, { scope: 'openid', nonce: 'n3', state: 's3', claims });
    expect(asked.sawConsent).toBe(true);
    const tokens = await client.authorizationCodeGrant(rp.config(), callbackOf(asked, rp), { expectedNonce: 'n3', expectedState: 's3', idTokenExpected: true });
    expect(tokens.claims()).toMatchObject({ email: user.email });
    const again = await authorize(server, rp, browser, { scope: 'openid', nonce: 'n4', state: 's4', prompt: 'none', claims });
    expect(callbackOf(again, rp).searchParams.get('code')).toMatch(/^ac_/);
  });

  it('Core §5.5.1: a sub value in claims is answered only for that person — another signed-in person gives login_required; a hint naming someone else is refused', async () => {
    const rp = await createRelyingParty(server);
    const [a, b] = [await createPasswordUser(server), await createPasswordUser(server)];
    const browser = new Browser(server);
    const first = await signedInWithConsent(rp, browser, a);
    const forB = await authorize(server, rp, browser, { scope: 'openid', nonce: 'n', state: 's', prompt: 'none', claims: JSON.stringify({ id_token: { sub: { value: b.id } } }) });
    expect(authorizationError(forB, rp)).toMatchObject({ error: 'login_required', state: 's' });
    const forA = await authorize(server, rp, browser, { scope: 'openid', nonce: 'n', state: 's', prompt: 'none', claims: JSON.stringify({ userinfo: { sub: { value: a.id } } }) });
    expect(callbackOf(forA, rp).searchParams.get('code')).toMatch(/^ac_/);
    const conflicting = await authorize(server, rp, browser, {
      scope: 'openid', nonce: 'n', state: 's', id_token_hint: first.id_token!, claims: JSON.stringify({ id_token: { sub: { value: b.id } } }),
    });
    expect(authorizationError(conflicting, rp)).toMatchObject({ error: 'invalid_request' });
  });

  it('RFC 9700 §2.1.1: PKCE optional covers OpenID Connect requests only — a plain OAuth request without a challenge is refused', async () => {
    const app = await createOAuthApp(server, { pkcePolicy: 'optional' });
    const query = { response_type: 'code', client_id: app.publishableKey, redirect_uri: app.redirectUri, scope: 'profile email', state: 'st', mode: 'api' };
    const refused = await initiate(server, query);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('OpenID Connect request') });
    expect((await initiate(server, { ...query, scope: 'openid profile' })).status).toBe(200);
  });

  it('RP-Initiated Logout §2: a hint whose sign-in this browser no longer holds still ends that client\'s tokens of it (cookie expired, or another browser)', async () => {
    const rp = await createRelyingParty(server);
    const other = await createRelyingParty(server);
    const user = await createPasswordUser(server);
    const browser = new Browser(server);
    const tokens = await signedInWithConsent(rp, browser, user);
    const others = await signedInWithConsent(other, browser, user);
    const logout = (hint: string) =>
      new Browser(server).request(`${server.url}/v1/auth/oauth/end-session?${new URLSearchParams({ id_token_hint: hint, post_logout_redirect_uri: rp.postLogoutRedirectUri, state: 'bye' })}`);
    const answered = await logout(tokens.id_token!);
    expect(answered.status).toBe(302);
    expect(answered.headers.get('location')).toBe(`${rp.postLogoutRedirectUri}?state=bye`);
    expect((await userinfo(tokens.access_token)).status).toBe(401);
    await expect(client.refreshTokenGrant(rp.config(), tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The other client's tokens, and the browser's own sign-in, live on.
    expect((await userinfo(others.access_token)).status).toBe(200);
    const silent = await authorize(server, other, browser, { scope: 'openid', nonce: 'n', state: 's', prompt: 'none' });
    expect(callbackOf(silent, other).searchParams.get('code')).toMatch(/^ac_/);
  });

  it('RFC 6750 §3.1: UserInfo refuses a repeated access_token and a query-string token with the Bearer invalid_request challenge', async () => {
    const repeated = await server.request('/v1/auth/oauth/userinfo', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'access_token=a&access_token=b',
    });
    expect(repeated.status).toBe(400);
    expect(repeated.headers.get('www-authenticate')).toBe('Bearer realm="latchkey", error="invalid_request"');
    const inQuery = await server.request('/v1/auth/oauth/userinfo?access_token=abc');
    expect(inQuery.status).toBe(400);
    expect(inQuery.headers.get('www-authenticate')).toBe('Bearer realm="latchkey", error="invalid_request"');
  });
});
