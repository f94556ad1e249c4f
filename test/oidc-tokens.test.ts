import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { basicOf, createPasswordUser, obtainCode, tokenRequest, type OAuthApp } from './helpers/oauth.js';
import { codeFor, createOidcApp, exchange, expectedAtHash, verifyIdToken } from './helpers/oidc.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describeEachEngine('OpenID Connect: token endpoint and ID tokens (SPEC §9)', (engine) => {
  let server: TestServer;
  let app: OAuthApp;
  let user: { id: string; email: string; password: string };
  beforeAll(async () => {
    server = await startTestServer(engine);
    app = await createOidcApp(server);
    user = await createPasswordUser(server);
  });
  afterAll(() => server?.close());

  it('OpenID Connect Core §2 / §3.1.3.6: the ID token carries exactly iss sub aud exp iat auth_time nonce azp sid at_hash — no scope claims without the claims parameter', async () => {
    const signedInAt = Math.floor(server.clock.now() / 1000);
    const { code, verifier, userToken } = await codeFor(server, app, user, { scope: 'openid profile email', nonce: 'n-0S6_WzA2Mj' });
    server.clock.advance(5);
    const tokens = await exchange(server, app, code, verifier);
    const { payload, protectedHeader } = await verifyIdToken(server, tokens.id_token, app);
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: expect.any(String), typ: 'JWT' });
    const iat = Math.floor(server.clock.now() / 1000);
    expect(payload).toEqual({
      iss: server.url, sub: user.id, aud: app.publishableKey, exp: iat + 21600, iat,
      // auth_time: when the person signed in (the login session), not when the code was redeemed.
      auth_time: signedInAt, nonce: 'n-0S6_WzA2Mj', azp: app.publishableKey,
      sid: decodeJwt(userToken).sid, at_hash: expectedAtHash(tokens.access_token),
    });
  });

  it('OpenID Connect Core §2: no nonce claim when the request had none', async () => {
    const { code, verifier } = await codeFor(server, app, user, { scope: 'openid' });
    const { payload } = await verifyIdToken(server, (await exchange(server, app, code, verifier)).id_token, app);
    expect(payload).not.toHaveProperty('nonce');
    expect(payload.azp).toBe(app.publishableKey);
  });

  it('OpenID Connect Core §5.5: claims asked for under id_token are in the ID token — only those, and only with a value', async () => {
    const claims = { id_token: { email: { essential: true }, name: null, phone_number: null, unknown_claim: null }, userinfo: { family_name: null } };
    const { code, verifier } = await codeFor(server, app, user, { scope: 'openid', claims });
    const { payload } = await verifyIdToken(server, (await exchange(server, app, code, verifier)).id_token, app);
    expect(payload).toMatchObject({ email: user.email, name: 'Ada King Lovelace' });
    // No phone on record: omitted; not asked for the ID token: absent; unknown: ignored.
    for (const absent of ['phone_number', 'family_name', 'given_name', 'email_verified', 'unknown_claim']) expect(payload).not.toHaveProperty(absent);
  });

  it('OpenID Connect Core §12.2: a refresh of an openid grant returns a new ID token — same sub, auth_time, sid, azp; new at_hash; no nonce', async () => {
    const { code, verifier } = await codeFor(server, app, user, { scope: 'openid profile offline_access', nonce: 'nonce-of-the-first' });
    const first = await exchange(server, app, code, verifier);
    const original = decodeJwt(first.id_token);
    server.clock.advance(120);
    const response = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, basicOf(app));
    expect(response.status).toBe(200);
    const refreshed = await response.json();
    const { payload } = await verifyIdToken(server, refreshed.id_token, app);
    const iat = Math.floor(server.clock.now() / 1000);
    expect(payload).toEqual({
      iss: server.url, sub: user.id, aud: app.publishableKey, exp: iat + 21600, iat,
      auth_time: original.auth_time, azp: app.publishableKey, sid: original.sid, at_hash: expectedAtHash(refreshed.access_token),
    });
    expect(payload.at_hash).not.toBe(original.at_hash);
  });

  it('OpenID Connect Core §12.2: a refresh narrowed to a scope without openid returns no ID token', async () => {
    const { code, verifier } = await codeFor(server, app, user, { scope: 'openid profile' });
    const first = await exchange(server, app, code, verifier);
    const narrowed = await (await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: first.refresh_token, scope: 'profile' }, basicOf(app))).json();
    expect(narrowed.scope).toBe('profile');
    expect(narrowed).not.toHaveProperty('id_token');
  });

  it('OpenID Connect Core §3.1.3.3: no openid scope, no ID token', async () => {
    const { code, verifier } = await codeFor(server, app, user, { scope: 'profile' });
    expect(await exchange(server, app, code, verifier)).not.toHaveProperty('id_token');
  });

  it('SPEC §9: the token family records the browser session, auth_time and claims request of its code', async () => {
    const claims = { userinfo: { email: null } };
    const { code, verifier, userToken } = await codeFor(server, app, user, { scope: 'openid', claims });
    const login = decodeJwt(userToken);
    const tokens = await exchange(server, app, code, verifier);
    const family = await server.server.runtime.store.getSession(decodeJwt(tokens.access_token).sid as string);
    expect(family).toMatchObject({ kind: 'oauth', browserSessionId: login.sid, authTime: (login.iat as number) * 1000, claims: JSON.stringify(claims) });
  });

  it('RFC 7636 §4.5 / SPEC §6.1: a code issued without a challenge is redeemed without code_verifier', async () => {
    const noPkce = await createOidcApp(server, { pkcePolicy: 'optional' });
    const { code } = await codeFor(server, noPkce, user, { scope: 'openid', nonce: 'n-1', withPkce: false });
    const tokens = await exchange(server, noPkce, code, undefined);
    expect(decodeJwt(tokens.id_token)).toMatchObject({ nonce: 'n-1', sub: user.id });
  });

  it('RFC 9700 §4.8.2: a code_verifier sent for a code issued without a challenge is refused (PKCE downgrade), and the code is not spent', async () => {
    const noPkce = await createOidcApp(server, { pkcePolicy: 'optional' });
    const { code } = await codeFor(server, noPkce, user, { scope: 'openid', withPkce: false });
    const params = { grant_type: 'authorization_code', code, redirect_uri: noPkce.redirectUri };
    const downgraded = await tokenRequest(server, { ...params, code_verifier: 'a'.repeat(43) }, basicOf(noPkce));
    expect(downgraded.status).toBe(400);
    expect(await downgraded.json()).toEqual({ error: 'invalid_grant', error_description: 'code_verifier was sent, but the authorization request had no code_challenge' });
    expect((await tokenRequest(server, params, basicOf(noPkce))).status).toBe(200);
  });

  it('RFC 7636 §4.6: a code issued with a challenge needs its verifier — without one → invalid_grant, and the code is not spent', async () => {
    const { code, verifier } = await obtainCode(server, app, user);
    const params = { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri };
    const missing = await tokenRequest(server, params, basicOf(app));
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: 'invalid_grant', error_description: 'code_verifier is required: the authorization request had a code_challenge' });
    expect((await tokenRequest(server, { ...params, code_verifier: verifier }, basicOf(app))).status).toBe(200);
  });

  it('RFC 7636 §4.1: a malformed code_verifier is refused before the code is looked at', async () => {
    const { code } = await obtainCode(server, app, user);
    const response = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: 'short' }, basicOf(app));
    expect(await response.json()).toEqual({ error: 'invalid_grant', error_description: 'code_verifier must be 43 to 128 unreserved characters' });
  });

  it('OpenID Connect Core §2: ID tokens stay RS256 with typ JWT whatever the access-token algorithm', async () => {
    const rsa = await createOidcApp(server, { accessTokenAlg: 'RS256' });
    const { code, verifier } = await codeFor(server, rsa, user, { scope: 'openid' });
    const tokens = await exchange(server, rsa, code, verifier);
    expect(decodeProtectedHeader(tokens.id_token)).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
  });
});
