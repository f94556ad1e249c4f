import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { openDatabase } from '../src/storage/database.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import {
  authorizeStep3, basicOf, createOAuthApp, createPasswordUser, initiate, loginToken, obtainCode, pkce, standardQuery, tokenRequest,
  type OAuthApp,
} from './helpers/oauth.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describeEachEngine('OAuth 2.0 in API mode (SPEC §6)', (engine) => {
  let server: TestServer;
  let app: OAuthApp;
  let user: { id: string; email: string; password: string };

  beforeAll(async () => {
    server = await startTestServer(engine);
    app = await createOAuthApp(server);
    user = await createPasswordUser(server);
  });
  afterAll(() => server?.close());

  const introspect = async (token: string) =>
    (await server.request('/v1/auth/oauth/introspect', {
      method: 'POST', body: new URLSearchParams({ token }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.publishableKey}:${app.secretKey}`).toString('base64')}` },
    })).json();
  const userInfo = (token: string) => server.request('/v1/user', { headers: { authorization: `Bearer ${token}` } });

  it('end to end: initiate → login → authorize → token → refresh → revoke; the access token is then dead', async () => {
    const { verifier, challenge } = pkce();
    const started = await initiate(server, standardQuery(app, challenge));
    expect(started.status).toBe(200);
    const step1 = await started.json();
    expect(step1).toEqual({ token: expect.stringMatching(/^ey/), url: expect.stringMatching(new RegExp(`^${server.url}/oauth/authorize/azr_`)) });

    const login = await server.request('/v1/auth/login', { json: { email: user.email, password: user.password }, headers: { 'x-client-key': app.publishableKey } });
    expect(login.status).toBe(200);
    const step2 = await login.json();
    expect(step2).toEqual({ accessToken: expect.stringMatching(/^ey/), userId: user.id, isOtpRequired: false, phoneNumber: null });

    const authorized = await authorizeStep3(server, app, step2.accessToken, step1.token);
    expect(authorized.status).toBe(200);
    const step3 = await authorized.json();
    expect(step3).toEqual({
      url: `https://client.example/callback?code=${step3.code}&state=state-1234567890&iss=${encodeURIComponent(server.url)}`,
      code: expect.stringMatching(/^ac_[\w-]{43}$/),
      state: 'state-1234567890',
    });

    const exchanged = await tokenRequest(server, { grant_type: 'authorization_code', code: step3.code, redirect_uri: app.redirectUri, code_verifier: verifier }, basicOf(app));
    expect(exchanged.status).toBe(200);
    expect(exchanged.headers.get('cache-control')).toBe('no-store');
    const tokens = await exchanged.json();
    expect(tokens).toEqual({
      access_token: expect.stringMatching(/^ey/), token_type: 'Bearer', expires_in: 21600,
      refresh_token: expect.stringMatching(/^rt_/), refresh_token_expires_in: 15897600, scope: 'openid profile', id_token: expect.stringMatching(/^ey/),
    });
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ typ: 'at+jwt', alg: 'EdDSA' });
    // OpenID Connect Core §15.1: ID tokens are RS256, verifiable from the JWKS by any relying party.
    expect(decodeProtectedHeader(tokens.id_token)).toMatchObject({ typ: 'JWT', alg: 'RS256' });
    const { payload: idClaims } = await jwtVerify(tokens.id_token, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)), {
      issuer: server.url, audience: app.publishableKey, algorithms: ['RS256'], currentDate: new Date(server.clock.now()),
    });
    expect(idClaims.sub).toBe(user.id);
    // An ID token is never a bearer credential here.
    expect((await userInfo(tokens.id_token)).status).toBe(401);
    // Scope `openid profile`: the names, not the email (that needs `email`).
    expect(await (await userInfo(tokens.access_token)).json()).toEqual({ id: user.id, email: null, firstName: 'Ada', lastName: 'King Lovelace' });

    const refreshed = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basicOf(app));
    expect(refreshed.status).toBe(200);
    const rotated = await refreshed.json();
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    expect(await introspect(rotated.access_token)).toMatchObject({ active: true, client_id: app.publishableKey, sub: user.id, scope: 'openid profile' });

    const revoked = await server.request('/v1/auth/oauth/revoke', {
      method: 'POST', body: new URLSearchParams({ token: rotated.refresh_token, token_type_hint: 'refresh_token' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.publishableKey}:${app.secretKey}`).toString('base64')}` },
    });
    expect(revoked.status).toBe(200);
    expect(await introspect(rotated.access_token)).toEqual({ active: false });
    expect(await introspect(rotated.refresh_token)).toEqual({ active: false });
    expect((await userInfo(rotated.access_token)).status).toBe(401);
  });

  it('SPEC §6.4: JSON bodies and client_secret_post work too', async () => {
    const { code, verifier } = await obtainCode(server, app, user);
    const response = await server.request('/v1/auth/oauth/token', {
      json: { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier, client_id: app.publishableKey, client_secret: app.secretKey },
    });
    expect(response.status).toBe(200);
  });

  it('SPEC §6.4: x-client-key with x-secret-key authenticate a confidential client', async () => {
    const { code, verifier } = await obtainCode(server, app, user);
    const response = await server.request('/v1/auth/oauth/token', {
      json: { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier },
      headers: { 'x-client-key': app.publishableKey, 'x-secret-key': app.secretKey },
    });
    expect(response.status).toBe(200);
  });

  it('RFC 7636 §4.4.1: a missing or plain challenge is refused — JSON in API mode, redirect with state and iss in hosted mode', async () => {
    const { challenge } = pkce();
    const noChallenge = standardQuery(app, challenge);
    delete noChallenge.code_challenge;
    const api = await initiate(server, noChallenge);
    expect(api.status).toBe(400);
    expect(await api.json()).toEqual({ error: 'invalid_request', error_description: expect.stringContaining('code_challenge') });

    const { mode: _mode, ...hosted } = standardQuery(app, challenge, { code_challenge_method: 'plain' });
    const redirected = await initiate(server, hosted);
    expect(redirected.status).toBe(302);
    const location = new URL(redirected.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(app.redirectUri);
    expect(Object.fromEntries(location.searchParams)).toEqual({
      error: 'invalid_request', error_description: expect.stringContaining('S256'), state: 'state-1234567890', iss: server.url,
    });
  });

  it('RFC 6749 §4.1.2.1: unknown client or unregistered redirect_uri → 400 JSON, never a redirect', async () => {
    const { challenge } = pkce();
    const { mode: _mode, ...hosted } = standardQuery(app, challenge);
    // RFC 9700 §4.1.3: exact string comparison — no prefix, case folding or added query passes.
    const near = [`${app.redirectUri}/`, 'https://client.example/Callback', 'https://CLIENT.example/callback', `${app.redirectUri}?next=1`, 'https://client.example/callback/../callback'];
    for (const query of [{ ...hosted, client_id: 'pk_test_nobody' }, { ...hosted, redirect_uri: 'https://evil.example/callback' }, ...near.map((uri) => ({ ...hosted, redirect_uri: uri }))]) {
      const response = await initiate(server, query);
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect((await response.json()).error).toBe('invalid_request');
    }
  });

  it('RFC 6749 §3.1: a repeated parameter → invalid_request', async () => {
    const { challenge } = pkce();
    const query = Object.entries(standardQuery(app, challenge));
    const response = await initiate(server, [...query, ['state', 'another-state-value']]);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_request', error_description: 'the state parameter is repeated' });
    const { code, verifier } = await obtainCode(server, app, user);
    const token = await tokenRequest(server, [['grant_type', 'authorization_code'], ['code', code], ['code', code], ['redirect_uri', app.redirectUri], ['code_verifier', verifier]], basicOf(app));
    expect(token.status).toBe(400);
    expect((await token.json()).error).toBe('invalid_request');
  });

  it('RFC 9700 §2.1.2: only response_type=code; other errors found after the client is known are redirected', async () => {
    const { challenge } = pkce();
    const { mode: _mode, ...hosted } = standardQuery(app, challenge);
    const token = await initiate(server, { ...hosted, response_type: 'token' });
    expect(new URL(token.headers.get('location')!).searchParams.get('error')).toBe('unsupported_response_type');
    const scope = await initiate(server, { ...hosted, scope: 'admin' });
    expect(new URL(scope.headers.get('location')!).searchParams.get('error')).toBe('invalid_scope');
    // SPEC §6.1 (issue 14): state is optional and may be short, but at most 512 characters.
    const shortState = await initiate(server, { ...hosted, state: 's' });
    expect(new URL(shortState.headers.get('location')!).pathname).toMatch(/^\/oauth\/authorize\/azr_/);
    const longState = await initiate(server, { ...hosted, state: 'x'.repeat(513) });
    expect(new URL(longState.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it('SPEC §6.1 hosted mode: 302 to the hosted page, or { token, url } with Accept: application/json', async () => {
    const { challenge } = pkce();
    const { mode: _mode, ...hosted } = standardQuery(app, challenge);
    const redirect = await initiate(server, hosted);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toMatch(new RegExp(`^${server.url}/oauth/authorize/azr_`));
    const json = await initiate(server, hosted, { accept: 'application/json' });
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ token: expect.any(String), url: expect.any(String) });
  });

  it('RFC 8252 §7.3: a loopback IP redirect URI matches on any port', async () => {
    // `localhost` is registered too, so its refusal on another port is the rule at work (RFC 8252
    // §8.3: the port exception is for IP literals only), not merely an unregistered host.
    const native = await createOAuthApp(server, { type: 'public', redirectUris: ['http://127.0.0.1/callback', 'http://localhost:4000/callback'] });
    const { challenge } = pkce();
    const query = { ...standardQuery(native, challenge), redirect_uri: 'http://127.0.0.1:53123/callback' };
    expect((await initiate(server, query)).status).toBe(200);
    expect((await initiate(server, { ...query, redirect_uri: 'http://localhost:4000/callback' })).status).toBe(200);
    expect((await initiate(server, { ...query, redirect_uri: 'http://localhost:53123/callback' })).status).toBe(400);
    expect((await initiate(server, { ...query, redirect_uri: 'http://localhost/callback' })).status).toBe(400);
  });

  it('RFC 7636 §4.6: a wrong verifier → invalid_grant; RFC 6749 §4.1.3: redirect_uri must equal the request', async () => {
    const { code, verifier } = await obtainCode(server, app, user);
    const wrongVerifier = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: pkce().verifier }, basicOf(app));
    expect(wrongVerifier.status).toBe(400);
    expect(await wrongVerifier.json()).toEqual({ error: 'invalid_grant', error_description: 'code_verifier does not match the code_challenge' });
    const wrongRedirect = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: 'https://client.example/other', code_verifier: verifier }, basicOf(app));
    expect((await wrongRedirect.json()).error_description).toBe('redirect_uri does not match the authorization request');
    const missingVerifier = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri }, basicOf(app));
    expect(await missingVerifier.json()).toEqual({ error: 'invalid_grant', error_description: 'code_verifier is required: the authorization request had a code_challenge' });
  });

  it('RFC 6749 §4.1.2: a code used twice → invalid_grant, and every token issued from it is revoked', async () => {
    const { code, verifier } = await obtainCode(server, app, user);
    const params = { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier };
    const first = await (await tokenRequest(server, params, basicOf(app))).json();
    const second = await tokenRequest(server, params, basicOf(app));
    expect(second.status).toBe(400);
    expect((await second.json()).error).toBe('invalid_grant');
    expect(await introspect(first.access_token)).toEqual({ active: false });
    expect((await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, basicOf(app))).status).toBe(400);
  });

  it('RFC 6749 §4.1.3: a code of another client → invalid_grant (and it stays usable by its own client)', async () => {
    const other = await createOAuthApp(server);
    const { code, verifier } = await obtainCode(server, app, user);
    const params = { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier };
    const stolen = await tokenRequest(server, params, basicOf(other));
    expect(await stolen.json()).toEqual({ error: 'invalid_grant', error_description: 'the authorization code was issued to another client' });
    expect((await tokenRequest(server, params, basicOf(app))).status).toBe(200);
  });

  it('SPEC §4: an authorization code expires after 60 s', async () => {
    const { code, verifier } = await obtainCode(server, app, user);
    server.clock.advance(61);
    const response = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier }, basicOf(app));
    expect(await response.json()).toEqual({ error: 'invalid_grant', error_description: 'the authorization code has expired' });
  });

  it('SPEC §6.3: an expired session JWT, a session JWT used twice, another client\'s session → invalid_grant', async () => {
    const { challenge } = pkce();
    const userToken = await loginToken(server, app, user.email, user.password);
    const session = async () => (await (await initiate(server, standardQuery(app, challenge))).json()).token as string;

    const expiring = await session();
    server.clock.advance(601);
    const expired = await authorizeStep3(server, app, await loginToken(server, app, user.email, user.password), expiring);
    expect(await expired.json()).toMatchObject({ error: 'invalid_grant' });

    const fresh = await loginToken(server, app, user.email, user.password);
    const once = await session();
    expect((await authorizeStep3(server, app, fresh, once)).status).toBe(200);
    const twice = await authorizeStep3(server, app, fresh, once);
    expect(await twice.json()).toEqual({ error: 'invalid_grant', error_description: 'the authorization session was already used or has expired' });

    const other = await createOAuthApp(server);
    const foreign = await authorizeStep3(server, other, fresh, await session());
    expect(await foreign.json()).toEqual({ error: 'invalid_grant', error_description: 'the authorization session was issued to another client' });
    void userToken;
  });

  it('SPEC §6.3: a login token of another organization → invalid_grant; no login token → 401 invalid_token', async () => {
    const { deps } = server.server.runtime;
    const { createOrganization } = await import('../src/flows/bootstrap.js');
    const organization = await createOrganization(deps, `other-${Date.now()}`);
    const foreignApp = await createOAuthApp(server, { organizationId: organization.id });
    const foreignUser = await createPasswordUser(server, { organizationId: organization.id });
    const foreignToken = await loginToken(server, foreignApp, foreignUser.email, foreignUser.password);
    const { challenge } = pkce();
    const { token } = await (await initiate(server, standardQuery(app, challenge))).json();
    const response = await authorizeStep3(server, app, foreignToken, token);
    expect(await response.json()).toEqual({ error: 'invalid_grant', error_description: 'the login token belongs to another organization' });
    const anonymous = await server.request('/v1/auth/oauth/authorize', { json: { token }, headers: { 'x-client-key': app.publishableKey } });
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error).toBe('invalid_token');
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="latchkey"');
  });

  it('RFC 6750 §3 / §3.1: every bearer endpoint answers 401 with a `WWW-Authenticate: Bearer` challenge — no error code without a token, `invalid_token` for a bad one', async () => {
    const endpoints = [['POST', '/v1/auth/logout'], ['POST', '/v1/auth/oauth/authorize'], ['DELETE', '/v1/auth/oauth/revoke'], ['GET', '/v1/user']] as const;
    const expired = await loginToken(server, app, user.email, user.password);
    server.clock.advance(6 * 3600 + 120);
    for (const [method, path] of endpoints) {
      const call = (authorization?: string) => server.request(path, {
        method, ...(method === 'GET' ? {} : { json: {} }),
        headers: { 'x-client-key': app.publishableKey, ...(authorization ? { authorization } : {}) },
      });
      const none = await call();
      expect({ path, status: none.status, challenge: none.headers.get('www-authenticate') }).toEqual({ path, status: 401, challenge: 'Bearer realm="latchkey"' });
      for (const bad of ['Bearer not-a-jwt', `Bearer ${expired}`]) {
        const refused = await call(bad);
        expect({ path, status: refused.status, challenge: refused.headers.get('www-authenticate') })
          .toEqual({ path, status: 401, challenge: 'Bearer realm="latchkey", error="invalid_token"' });
        expect((await refused.json()).error).toBe('invalid_token');
      }
    }
  });

  it('RFC 6749 §5.2: a confidential client without its secret → 401 invalid_client; Basic failures name the scheme', async () => {
    const { code, verifier } = await obtainCode(server, app, user);
    const params = { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier };
    const noSecret = await tokenRequest(server, { ...params, client_id: app.publishableKey });
    expect(noSecret.status).toBe(401);
    expect((await noSecret.json()).error).toBe('invalid_client');
    const wrongSecret = await tokenRequest(server, params, { id: app.publishableKey, secret: `sk_test_${'x'.repeat(43)}` });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.headers.get('www-authenticate')).toMatch(/^Basic /);
    const twoMethods = await tokenRequest(server, { ...params, client_secret: app.secretKey }, basicOf(app));
    expect(await twoMethods.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('CHECKLIST: client secrets are never accepted in the query string; access tokens never in URLs', async () => {
    const response = await server.request(`/v1/auth/oauth/token?client_secret=${app.secretKey}`, {
      method: 'POST', body: 'grant_type=client_credentials', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-client-key': app.publishableKey },
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe('invalid_request');
    const inUrl = await server.request('/v1/user?access_token=abc');
    expect(inUrl.status).toBe(400);
  });

  it('RFC 6749 §5.2: unsupported grant types (password, implicit) → unsupported_grant_type', async () => {
    for (const grantType of ['password', 'implicit', 'urn:ietf:params:oauth:grant-type:device_code']) {
      const response = await tokenRequest(server, { grant_type: grantType, username: user.email, password: user.password }, basicOf(app));
      expect(await response.json()).toEqual({ error: 'unsupported_grant_type', error_description: expect.any(String) });
    }
  });

  it('SPEC §6.4 client_credentials: confidential clients only; sub is the application', async () => {
    const response = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'profile' }, basicOf(app));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 21600, scope: 'profile' });
    expect(await introspect(body.access_token)).toMatchObject({ active: true, sub: app.id, client_id: app.publishableKey });
    const wide = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'admin' }, basicOf(app));
    expect((await wide.json()).error).toBe('invalid_scope');
    const spa = await createOAuthApp(server, { type: 'public' });
    const refused = await tokenRequest(server, { grant_type: 'client_credentials', client_id: spa.publishableKey });
    expect((await refused.json()).error).toBe('unauthorized_client');
  });

  it('RFC 6749 §6: refresh may narrow scope, never widen it; RFC 9700 §4.14.2: reuse revokes the family', async () => {
    const { code, verifier } = await obtainCode(server, app, user);
    const tokens = await (await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier }, basicOf(app))).json();
    const wider = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, scope: 'openid profile email' }, basicOf(app));
    expect((await wider.json()).error).toBe('invalid_scope');
    const narrower = await (await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, scope: 'profile' }, basicOf(app))).json();
    expect(narrower.scope).toBe('profile');
    server.clock.advance(11);
    const replay = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basicOf(app));
    expect((await replay.json()).error).toBe('invalid_grant');
    expect(await introspect(narrower.access_token)).toEqual({ active: false });
  });

  it('SPEC §6.5: DELETE /v1/auth/oauth/revoke ends every token of the application for the user', async () => {
    const first = await obtainCode(server, app, user);
    const a = await (await tokenRequest(server, { grant_type: 'authorization_code', code: first.code, redirect_uri: app.redirectUri, code_verifier: first.verifier }, basicOf(app))).json();
    const second = await obtainCode(server, app, user);
    const b = await (await tokenRequest(server, { grant_type: 'authorization_code', code: second.code, redirect_uri: app.redirectUri, code_verifier: second.verifier }, basicOf(app))).json();
    const response = await server.request('/v1/auth/oauth/revoke', { method: 'DELETE', headers: { authorization: `Bearer ${a.access_token}`, 'x-client-key': app.publishableKey } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true });
    expect(await introspect(b.access_token)).toEqual({ active: false });
    expect((await userInfo(a.access_token)).status).toBe(401);
  });

  it('RFC 7009 §2.2: revocation answers 200 for an unknown token; RFC 7662: introspection needs client authentication', async () => {
    const unknown = await server.request('/v1/auth/oauth/revoke', {
      method: 'POST', body: 'token=rt_unknown', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.publishableKey}:${app.secretKey}`).toString('base64')}` },
    });
    expect(unknown.status).toBe(200);
    const spa = await createOAuthApp(server, { type: 'public' });
    const anonymous = await server.request('/v1/auth/oauth/introspect', { method: 'POST', body: `token=x&client_id=${spa.publishableKey}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error).toBe('invalid_client');
    expect(await introspect('not-a-token')).toEqual({ active: false });
  });

  it('RFC 7662 §2.1: a confidential client introspects only with its secret — none or a wrong one → 401 invalid_client, nothing said about the token', async () => {
    const { access_token: token } = await (await tokenRequest(server, { grant_type: 'client_credentials' }, basicOf(app))).json();
    expect(await introspect(token)).toMatchObject({ active: true });
    const form = (extra: Record<string, string>) => new URLSearchParams({ token, ...extra }).toString();
    const attempts: Array<{ body: string; headers: Record<string, string> }> = [
      { body: form({ client_id: app.publishableKey }), headers: {} },
      { body: form({ client_id: app.publishableKey, client_secret: `sk_test_${'x'.repeat(43)}` }), headers: {} },
      { body: form({}), headers: { authorization: `Basic ${Buffer.from(`${app.publishableKey}:sk_test_${'x'.repeat(43)}`).toString('base64')}` } },
      { body: form({}), headers: { 'x-client-key': app.publishableKey } },
    ];
    for (const { body, headers } of attempts) {
      const response = await server.request('/v1/auth/oauth/introspect', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    }
  });

  it('RFC 6749 §5.1: every token endpoint answer — each grant, and errors — and introspection carry Cache-Control: no-store', async () => {
    const { code, verifier } = await obtainCode(server, app, user);
    const byCode = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier }, basicOf(app));
    const codeTokens = (await byCode.clone().json()) as { access_token: string; refresh_token: string };
    const byRefresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: codeTokens.refresh_token }, basicOf(app));
    const byClient = await tokenRequest(server, { grant_type: 'client_credentials' }, basicOf(app));
    const refused = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier }, basicOf(app));
    const introspection = await server.request('/v1/auth/oauth/introspect', {
      method: 'POST', body: new URLSearchParams({ token: codeTokens.access_token }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.publishableKey}:${app.secretKey}`).toString('base64')}` },
    });
    const answers = { byCode, byRefresh, byClient, refused, introspection };
    expect(Object.fromEntries(Object.entries(answers).map(([name, response]) => [name, [response.status, response.headers.get('cache-control')]]))).toEqual({
      byCode: [200, 'no-store'], byRefresh: [200, 'no-store'], byClient: [200, 'no-store'], refused: [400, 'no-store'], introspection: [200, 'no-store'],
    });
  });

  it('RFC 8414: metadata names this issuer and lists exactly what is offered', async () => {
    const metadata = await (await server.request('/.well-known/oauth-authorization-server')).json();
    expect(metadata).toEqual({
      revocation_endpoint: `${server.url}/v1/auth/oauth/revoke`,
      introspection_endpoint: `${server.url}/v1/auth/oauth/introspect`,
      pushed_authorization_request_endpoint: `${server.url}/v1/auth/oauth/par`,
      require_pushed_authorization_requests: false,
      response_modes_supported: ['query'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      service_documentation: `${server.url}/openapi.json`,
      issuer: server.url,
      authorization_endpoint: `${server.url}/v1/auth/oauth/authorize/initiate`,
      token_endpoint: `${server.url}/v1/auth/oauth/token`,
      jwks_uri: `${server.url}/.well-known/jwks.json`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      dpop_signing_alg_values_supported: ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'],
      scopes_supported: ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'],
    });
    const oidc = await (await server.request('/.well-known/openid-configuration')).json();
    expect(oidc).toMatchObject({ issuer: server.url, id_token_signing_alg_values_supported: ['RS256'] });
  });

  it('SPEC §6.7: /v1/user shows what the token\'s scopes allow', async () => {
    const { code, verifier } = await obtainCode(server, app, user, { scope: 'email' });
    const tokens = await (await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier }, basicOf(app))).json();
    expect(await (await userInfo(tokens.access_token)).json()).toEqual({ id: user.id, email: user.email });
  });

  it('client_credentials tokens are revocable (RFC 7009, DELETE revoke) and are not users', async () => {
    const issue = async () => (await (await tokenRequest(server, { grant_type: 'client_credentials' }, basicOf(app))).json()).access_token as string;
    const first = await issue();
    expect((await userInfo(first)).status).toBe(401);
    expect(await introspect(first)).toMatchObject({ active: true });
    await server.request('/v1/auth/oauth/revoke', { method: 'POST', body: `token=${first}`, headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.publishableKey}:${app.secretKey}`).toString('base64')}` } });
    expect(await introspect(first)).toEqual({ active: false });
    const second = await issue();
    const del = await server.request('/v1/auth/oauth/revoke', { method: 'DELETE', headers: { authorization: `Bearer ${second}`, 'x-client-key': app.publishableKey } });
    expect(del.status).toBe(200);
    expect(await introspect(second)).toEqual({ active: false });
    // Revoking one token leaves the application's others alone (another worker may hold them).
    const third = await issue();
    expect(await introspect(third)).toMatchObject({ active: true });
  });

  it('client_credentials issues without any write; only revocation writes, once, and only the owner can revoke', async () => {
    const { db } = openDatabase(server.server.runtime.config.databaseUrl);
    try {
      const count = async (table: 'sessions' | 'refresh_tokens' | 'revoked_access_tokens') =>
        Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const before = { sessions: await count('sessions'), refreshTokens: await count('refresh_tokens'), revoked: await count('revoked_access_tokens') };
      const tokens = await Promise.all(
        Array.from({ length: 5 }, async () => (await (await tokenRequest(server, { grant_type: 'client_credentials' }, basicOf(app))).json()).access_token as string),
      );
      expect(await count('sessions')).toBe(before.sessions);
      expect(await count('refresh_tokens')).toBe(before.refreshTokens);
      expect(decodeJwt(tokens[0]!).sid).toBeUndefined();

      const other = await createOAuthApp(server);
      const revoke = (token: string, client: typeof app) =>
        server.request('/v1/auth/oauth/revoke', { method: 'POST', body: `token=${token}`, headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.publishableKey}:${client.secretKey}`).toString('base64')}` } });
      expect((await revoke(tokens[0]!, other)).status).toBe(200); // RFC 7009 §2.2: 200, but nothing happens
      expect(await introspect(tokens[0]!)).toMatchObject({ active: true });
      expect(await count('revoked_access_tokens')).toBe(before.revoked);

      expect((await revoke(tokens[0]!, app)).status).toBe(200);
      expect((await revoke(tokens[0]!, app)).status).toBe(200); // idempotent
      expect(await count('revoked_access_tokens')).toBe(before.revoked + 1);
      expect(await introspect(tokens[0]!)).toEqual({ active: false });
      expect(await introspect(tokens[1]!)).toMatchObject({ active: true });
    } finally {
      await db.destroy();
    }
  });

  it('a login token issued to another client cannot authorize this one', async () => {
    const other = await createOAuthApp(server);
    const { challenge } = pkce();
    const { token } = await (await initiate(server, standardQuery(app, challenge))).json();
    const response = await authorizeStep3(server, app, await loginToken(server, other, user.email, user.password), token);
    expect(await response.json()).toEqual({ error: 'invalid_grant', error_description: 'the login token was issued to another client' });
  });

  it('RFC 6749 §3.1: parameters without a value count as omitted', async () => {
    const { code, verifier } = await obtainCode(server, app, user);
    const response = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier, client_secret: '', scope: '' }, basicOf(app));
    expect(response.status).toBe(200);
  });

  it('RFC 6749 §2.3.1: HTTP Basic credentials are form-urlencoded before base64', async () => {
    const encoded = (value: string) => value.replace(/[-_]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
    const header = `Basic ${Buffer.from(`${encoded(app.publishableKey)}:${encoded(app.secretKey)}`).toString('base64')}`;
    expect(header).toContain('Basic ');
    const response = await server.request('/v1/auth/oauth/token', { method: 'POST', body: 'grant_type=client_credentials', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: header } });
    expect(response.status).toBe(200);
  });

  it('RFC 7009 §2.1: a confidential client must authenticate to revoke', async () => {
    const response = await server.request('/v1/auth/oauth/revoke', { method: 'POST', body: `token=x&client_id=${app.publishableKey}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(response.status).toBe(401);
    expect((await response.json()).error).toBe('invalid_client');
  });

  it('RFC 7662 §4: introspection reports only the caller\'s own tokens', async () => {
    const other = await createOAuthApp(server);
    const issued = await tokenRequest(server, { grant_type: 'client_credentials' }, basicOf(other));
    expect(issued.status).toBe(200);
    const { access_token: token } = await issued.json();
    expect(token).toEqual(expect.any(String));
    // The token is live — its own client sees it active — so the refusal below is about who asks.
    const asOwner = await server.request('/v1/auth/oauth/introspect', {
      method: 'POST', body: new URLSearchParams({ token }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${other.publishableKey}:${other.secretKey}`).toString('base64')}` },
    });
    expect((await asOwner.json()).active).toBe(true);
    expect(await introspect(token)).toEqual({ active: false });
  });

  it('a grant revoked while its code is in flight takes the code with it', async () => {
    const { code, verifier, userToken: _unused } = await obtainCode(server, app, user);
    const earlier = await obtainCode(server, app, user);
    const tokens = await (await tokenRequest(server, { grant_type: 'authorization_code', code: earlier.code, redirect_uri: app.redirectUri, code_verifier: earlier.verifier }, basicOf(app))).json();
    await server.request('/v1/auth/oauth/revoke', { method: 'DELETE', headers: { authorization: `Bearer ${tokens.access_token}`, 'x-client-key': app.publishableKey } });
    const response = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier }, basicOf(app));
    expect(await response.json()).toEqual({ error: 'invalid_grant', error_description: 'the grant behind this code was revoked' });
  });

  it('SPEC §2: a browser client (allowed origin) can read successful OAuth responses', async () => {
    const spa = await createOAuthApp(server, { type: 'public' });
    const origin = 'http://localhost:5173';
    const { challenge, verifier } = pkce();
    const started = await initiate(server, standardQuery(spa, challenge), { origin });
    expect(started.headers.get('access-control-allow-origin')).toBe(origin);
    const authorized = await authorizeStep3(server, spa, await loginToken(server, spa, user.email, user.password), (await started.json()).token);
    const { code } = await authorized.json();
    const token = await server.request('/v1/auth/oauth/token', {
      method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: spa.redirectUri, code_verifier: verifier, client_id: spa.publishableKey }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    });
    expect(token.status).toBe(200);
    expect(token.headers.get('access-control-allow-origin')).toBe(origin);
    const { access_token: accessToken } = await token.json();
    const me = await server.request('/v1/user', { headers: { authorization: `Bearer ${accessToken}`, origin } });
    expect(me.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('SPEC §4: 50 concurrent redemptions of one authorization code → exactly one success', async () => {
    const { code, verifier } = await obtainCode(server, app, user);
    const params = { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier };
    const responses = await Promise.all(Array.from({ length: 50 }, () => tokenRequest(server, params, basicOf(app))));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 400)).toHaveLength(49);
  });
});
