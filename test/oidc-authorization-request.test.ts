import { decodeJwt } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashSecret } from '../src/crypto/hash.js';
import { describeEachEngine } from './helpers/engines.js';
import {
  authorizeStep3, basicOf, createOAuthApp, createPasswordUser, initiate, loginToken, obtainCode, pkce, standardQuery, tokenRequest,
  type OAuthApp,
} from './helpers/oauth.js';
import { startTestServer, type TestServer } from './helpers/server.js';

type User = { id: string; email: string; password: string };

describeEachEngine('OpenID Connect authorization request (SPEC §6.1, §9; issue 14)', (engine) => {
  let server: TestServer;
  let app: OAuthApp;
  let user: User;
  let other: User;

  beforeAll(async () => {
    // Many hosted sign-ins from one address: the per-IP sign-in budget is not what these tests are about.
    server = await startTestServer(engine, { LATCHKEY_RATE_LIMIT_LOGIN_PER_IP: '1000/600' });
    app = await createOAuthApp(server);
    user = await createPasswordUser(server);
    other = await createPasswordUser(server);
  });
  afterAll(() => server?.close());

  const store = () => server.server.runtime.deps.store;
  /** The stored authorization request behind a step-1 answer (its session token's `jti`, or its page URL). */
  const storedRequest = async (tokenOrUrl: string) =>
    (await store().getAuthorizationRequest(tokenOrUrl.startsWith('http') ? new URL(tokenOrUrl).pathname.split('/').pop()! : (decodeJwt(tokenOrUrl).jti as string)))!;
  const hostedQuery = (target: OAuthApp, extra: Record<string, string> = {}) => {
    const { mode: _mode, ...query } = standardQuery(target, pkce().challenge, extra);
    return query;
  };
  const locationOf = (response: Response) => new URL(response.headers.get('location')!);
  const paramsOf = (response: Response) => Object.fromEntries(locationOf(response).searchParams);
  const postForm = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    server.request(path, { method: 'POST', body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, redirect: 'manual' });
  const setCookies = (response: Response) => response.headers.getSetCookie().map((line) => line.split(';')[0]!);

  /** Hosted mode: step 1, then the page it redirects to, with the browser's cookies. */
  async function openHosted(target: OAuthApp, extra: Record<string, string>, cookie = '') {
    const started = await initiate(server, hostedQuery(target, extra));
    expect(started.status).toBe(302);
    const path = locationOf(started).pathname;
    const page = await server.request(path, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
    return { path, page };
  }

  /** A browser that signed in on the hosted pages as `who`: its cookie header. */
  async function signedInBrowser(target: OAuthApp, who: User, cookie = ''): Promise<string> {
    const { path, page } = await openHosted(target, {}, cookie);
    return signInOnPage(path, page, who, cookie);
  }

  /** Fills the login form of a shown page; returns the browser's cookie header afterwards. */
  async function signInOnPage(path: string, page: Response, who: User, cookie = ''): Promise<string> {
    const body = await page.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(body)![1]!;
    const jar = new Map(cookie.split('; ').filter(Boolean).map((pair) => [pair.split('=')[0]!, pair]));
    for (const pair of setCookies(page)) jar.set(pair.split('=')[0]!, pair);
    const login = await postForm(`${path}/login`, { email: who.email, password: who.password, csrf }, { cookie: [...jar.values()].join('; ') });
    expect(login.status).toBe(303);
    for (const pair of setCookies(login)) jar.set(pair.split('=')[0]!, pair);
    return [...jar.values()].join('; ');
  }

  /** An ID token issued to `target` about `who` (API mode, then the token endpoint). */
  async function idTokenFor(target: OAuthApp, who: User): Promise<string> {
    const { code, verifier } = await obtainCode(server, target, who);
    const tokens = await (await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: target.redirectUri, code_verifier: verifier }, basicOf(target))).json();
    return tokens.id_token;
  }

  /** A third-party application the user has already approved (remembered consent). */
  async function approvedApp(who: User): Promise<OAuthApp> {
    const target = await createOAuthApp(server);
    await obtainCode(server, target, who);
    return target;
  }

  // ——— state (SPEC §6.1) ———

  it('SPEC §6.1: state is optional — without it the request is stored with null and no state comes back (JSON, URL, error redirect)', async () => {
    const { state: _state, ...query } = standardQuery(app, pkce().challenge);
    const started = await initiate(server, query);
    expect(started.status).toBe(200);
    const { token } = await started.json();
    expect((await storedRequest(token)).state).toBeNull();
    const authorized = await authorizeStep3(server, app, await loginToken(server, app, user.email, user.password), token);
    const body = await authorized.json();
    expect(body).toEqual({ url: expect.any(String), code: expect.stringMatching(/^ac_/) });
    expect([...new URL(body.url).searchParams.keys()]).toEqual(['code', 'iss']);

    const { mode: _mode, ...hosted } = query;
    const refused = await initiate(server, { ...hosted, response_type: 'token' });
    expect(paramsOf(refused)).toEqual({ error: 'unsupported_response_type', error_description: 'response_type must be code', iss: server.url });
  });

  it('SPEC §6.1: a state of up to 512 characters is echoed exactly; 513 → invalid_request', async () => {
    const state = `a b&c=d/é?${'x'.repeat(502)}`;
    expect(state).toHaveLength(512);
    const { code: _code, state: echoed, url } = await obtainCode(server, app, user, { state });
    expect(echoed).toBe(state);
    expect(new URL(url).searchParams.get('state')).toBe(state);
    const { mode: _mode, ...hosted } = standardQuery(app, pkce().challenge, { state: 'y'.repeat(513) });
    expect(paramsOf(await initiate(server, hosted))).toMatchObject({ error: 'invalid_request', error_description: 'state must be at most 512 characters' });
  });

  // ——— PKCE policy (SPEC §6.1) ———

  it('RFC 9700 §2.1.1 / SPEC §6.1: a confidential application with PKCE optional may omit the challenge (stored null); others may not', async () => {
    const optional = await createOAuthApp(server, { pkcePolicy: 'optional' });
    const withoutPkce = (target: OAuthApp) => {
      const { code_challenge: _c, code_challenge_method: _m, ...query } = standardQuery(target, 'unused');
      return query;
    };
    const allowed = await initiate(server, withoutPkce(optional));
    expect(allowed.status).toBe(200);
    expect((await storedRequest((await allowed.json()).token)).codeChallenge).toBeNull();

    const publicApp = await createOAuthApp(server, { type: 'public' });
    for (const target of [app, publicApp]) {
      const refused = await initiate(server, withoutPkce(target));
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({ error: 'invalid_request', error_description: 'code_challenge is required (PKCE, S256)' });
    }
  });

  it('RFC 7636 §4.3: a challenge that is sent is always checked, PKCE optional or not — S256 only, 43 characters', async () => {
    const optional = await createOAuthApp(server, { pkcePolicy: 'optional' });
    const { challenge } = pkce();
    const cases: Array<[Record<string, string>, string]> = [
      [{ code_challenge_method: 'plain' }, 'code_challenge_method must be S256 (plain is refused)'],
      [{ code_challenge: 'short' }, 'code_challenge must be 43 base64url characters'],
    ];
    for (const [extra, description] of cases) {
      const response = await initiate(server, standardQuery(optional, challenge, extra));
      expect(await response.json()).toEqual({ error: 'invalid_request', error_description: description });
    }
    const { code_challenge_method: _m, ...noMethod } = standardQuery(optional, challenge);
    expect((await (await initiate(server, noMethod)).json()).error_description).toBe('code_challenge_method must be S256 (plain is refused)');
    const { code_challenge: _c, ...methodOnly } = standardQuery(optional, challenge);
    expect((await (await initiate(server, methodOnly)).json()).error_description).toBe('code_challenge_method was sent without a code_challenge');
    const sent = await initiate(server, standardQuery(optional, challenge));
    expect((await storedRequest((await sent.json()).token)).codeChallenge).toBe(challenge);
  });

  // ——— POST (Core §3.1.2.1) ———

  it('OpenID Connect Core §3.1.2.1: POST with a form body behaves like GET — hosted page (303), API JSON, redirected errors', async () => {
    const path = '/v1/auth/oauth/authorize/initiate';
    const hosted = await postForm(path, hostedQuery(app, { nonce: 'n-1' }));
    expect(hosted.status).toBe(303);
    expect(hosted.headers.get('location')).toMatch(new RegExp(`^${server.url}/oauth/authorize/azr_`));
    expect(await storedRequest(hosted.headers.get('location')!)).toMatchObject({ state: 'state-1234567890', nonce: 'n-1', scope: 'openid profile' });

    const api = await postForm(path, standardQuery(app, pkce().challenge));
    expect(api.status).toBe(200);
    expect(await api.json()).toEqual({ token: expect.stringMatching(/^ey/), url: expect.stringMatching(/\/oauth\/authorize\/azr_/) });

    const refused = await postForm(path, hostedQuery(app, { response_type: 'token' }));
    expect(refused.status).toBe(303);
    expect(paramsOf(refused)).toEqual({ error: 'unsupported_response_type', error_description: 'response_type must be code', state: 'state-1234567890', iss: server.url });

    const unknownClient = await postForm(path, hostedQuery(app, { client_id: 'pk_test_nobody' }));
    expect(unknownClient.status).toBe(400);
    expect(unknownClient.headers.get('location')).toBeNull();
    const repeated = await server.request(path, {
      method: 'POST', body: `${new URLSearchParams(hostedQuery(app))}&state=again`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual',
    });
    expect(await repeated.json()).toEqual({ error: 'invalid_request', error_description: 'the state parameter is repeated' });
  });

  it('OpenID Connect Core §3.1.2.1: a POST carries its parameters as a form body only (not JSON, not the query)', async () => {
    const path = '/v1/auth/oauth/authorize/initiate';
    const json = await server.request(path, { method: 'POST', json: standardQuery(app, pkce().challenge), redirect: 'manual' });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ error: 'invalid_request', error_description: 'the body must be application/x-www-form-urlencoded' });
    const query = await server.request(`${path}?${new URLSearchParams(standardQuery(app, pkce().challenge))}`, {
      method: 'POST', body: '', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual',
    });
    expect(query.status).toBe(400);
    expect((await query.json()).error).toBe('invalid_request');
  });

  // ——— scopes (Core §3.1.2.1, SPEC §9) ———

  it('OpenID Connect Core §3.1.2.1: with openid, unknown scope values are ignored; a known one the client may not use → invalid_scope', async () => {
    const dropped = await initiate(server, standardQuery(app, pkce().challenge, { scope: 'openid frobnicate profile urn:x:y' }));
    expect(dropped.status).toBe(200);
    expect((await storedRequest((await dropped.json()).token)).scope).toBe('openid profile');
    // `phone` is a scope Latchkey knows; this client was registered with openid profile email only.
    const phone = await initiate(server, standardQuery(app, pkce().challenge, { scope: 'openid phone' }));
    expect(await phone.json()).toEqual({ error: 'invalid_scope', error_description: 'scope phone is not allowed for this client' });
    const custom = await createOAuthApp(server, { scopes: ['openid', 'orders:read'] });
    const ownScope = await initiate(server, standardQuery(custom, pkce().challenge, { scope: 'openid orders:read profile' }));
    expect(await ownScope.json()).toEqual({ error: 'invalid_scope', error_description: 'scope profile is not allowed for this client' });
  });

  it('RFC 6749 §3.3: without openid the strict rule stays — an unknown scope value → invalid_scope', async () => {
    const response = await initiate(server, standardQuery(app, pkce().challenge, { scope: 'profile frobnicate' }));
    expect(await response.json()).toEqual({ error: 'invalid_scope', error_description: 'scope frobnicate is not allowed for this client' });
  });

  // ——— unsupported and ignored parameters ———

  it('OpenID Connect Core §6: request → request_not_supported, request_uri → request_uri_not_supported, redirected with state and iss', async () => {
    for (const [name, error] of [['request', 'request_not_supported'], ['request_uri', 'request_uri_not_supported']] as const) {
      const response = await initiate(server, hostedQuery(app, { [name]: name === 'request' ? 'eyJhbGciOiJub25lIn0.e30.' : 'https://client.example/request.jwt' }));
      expect(response.status).toBe(302);
      expect(locationOf(response).origin + locationOf(response).pathname).toBe(app.redirectUri);
      expect(paramsOf(response)).toEqual({ error, error_description: `the ${name} parameter is not supported`, state: 'state-1234567890', iss: server.url });
      // Before the client is known it is still never redirected.
      const unknown = await initiate(server, hostedQuery(app, { [name]: 'x', client_id: 'pk_test_nobody' }));
      expect(unknown.status).toBe(400);
    }
  });

  it('SPEC §9: only response_mode=query; display must be known; ui_locales, claims_locales, acr_values are accepted and ignored', async () => {
    const fragment = await initiate(server, hostedQuery(app, { response_mode: 'fragment' }));
    expect(paramsOf(fragment)).toMatchObject({ error: 'invalid_request', error_description: 'response_mode must be query' });
    const formPost = await initiate(server, hostedQuery(app, { response_mode: 'form_post' }));
    expect(paramsOf(formPost).error).toBe('invalid_request');
    const display = await initiate(server, hostedQuery(app, { display: 'hologram' }));
    expect(paramsOf(display)).toMatchObject({ error: 'invalid_request', error_description: 'display must be page, popup, touch or wap' });
    for (const value of ['page', 'popup', 'touch', 'wap']) {
      expect((await initiate(server, standardQuery(app, pkce().challenge, { display: value }))).status, value).toBe(200);
    }
    const ignored = await initiate(server, standardQuery(app, pkce().challenge, { response_mode: 'query', ui_locales: 'fr-CA fr en', claims_locales: 'de', acr_values: 'urn:mace:incommon:iap:silver' }));
    expect(ignored.status).toBe(200);
  });

  // ——— prompt, max_age, login_hint, id_token_hint, claims: parsing and storage ———

  it('OpenID Connect Core §3.1.2.1: prompt values are checked; none with another value → invalid_request; the rest is stored', async () => {
    for (const [prompt, description] of <Array<[string, string]>>[
      ['none login', 'prompt none cannot be combined with another value'],
      ['consent none', 'prompt none cannot be combined with another value'],
      ['login create', 'prompt create is not supported (none, login, consent, select_account)'],
    ]) {
      expect(await (await initiate(server, standardQuery(app, pkce().challenge, { prompt }))).json(), prompt).toEqual({ error: 'invalid_request', error_description: description });
    }
    const stored = await initiate(server, standardQuery(app, pkce().challenge, { prompt: 'login consent login', max_age: '0', login_hint: 'ada@example.com' }));
    expect(await storedRequest((await stored.json()).token)).toMatchObject({ prompt: 'login consent', maxAge: 0, loginHint: 'ada@example.com', idTokenHintSubject: null, claims: null });
  });

  it('OpenID Connect Core §3.1.2.1: max_age is a non-negative integer; login_hint at most 256 characters', async () => {
    for (const maxAge of ['-1', '1.5', 'abc', '1e3', '9'.repeat(16)]) {
      const response = await initiate(server, standardQuery(app, pkce().challenge, { max_age: maxAge }));
      expect(await response.json(), maxAge).toEqual({ error: 'invalid_request', error_description: 'max_age must be a non-negative integer number of seconds' });
    }
    const started = await initiate(server, standardQuery(app, pkce().challenge, { max_age: '3600' }));
    expect((await storedRequest((await started.json()).token)).maxAge).toBe(3600);
    const hint = await initiate(server, standardQuery(app, pkce().challenge, { login_hint: `${'a'.repeat(245)}@example.com` }));
    expect(await hint.json()).toEqual({ error: 'invalid_request', error_description: 'login_hint must be at most 256 characters' });
  });

  it('OpenID Connect Core §3.1.2.1: id_token_hint must be an ID token of this server for this client (expired ones too); its subject is stored', async () => {
    const idToken = await idTokenFor(app, user);
    server.clock.advance(24 * 3600);
    const started = await initiate(server, standardQuery(app, pkce().challenge, { id_token_hint: idToken }));
    expect(started.status).toBe(200);
    expect((await storedRequest((await started.json()).token)).idTokenHintSubject).toBe(user.id);

    const otherApp = await createOAuthApp(server);
    const foreign = await initiate(server, standardQuery(otherApp, pkce().challenge, { id_token_hint: idToken }));
    expect(await foreign.json()).toEqual({ error: 'invalid_request', error_description: 'id_token_hint was issued to another client' });
    const [header, payload] = idToken.split('.');
    for (const bad of ['not-a-jwt', `${header}.${payload}.AAAA`, await loginToken(server, app, user.email, user.password)]) {
      const response = await initiate(server, standardQuery(app, pkce().challenge, { id_token_hint: bad }));
      expect(await response.json()).toEqual({ error: 'invalid_request', error_description: 'id_token_hint is not an ID token issued by this server' });
    }
    const { mode: _mode, ...hosted } = standardQuery(app, pkce().challenge, { id_token_hint: 'not-a-jwt' });
    expect(paramsOf(await initiate(server, hosted))).toMatchObject({ error: 'invalid_request', state: 'state-1234567890' });
  });

  it('OpenID Connect Core §5.5: the claims parameter is validated and stored normalized; malformed → invalid_request', async () => {
    const claims = JSON.stringify({
      id_token: { email: { essential: true, extension: 1 }, auth_time: { essential: true } },
      userinfo: { name: null, nickname: { value: 'ada' }, picture: { values: ['a', 'b'] } },
      unknown_member: { ignored: true },
    });
    const started = await initiate(server, standardQuery(app, pkce().challenge, { claims }));
    expect(started.status).toBe(200);
    expect(JSON.parse((await storedRequest((await started.json()).token)).claims!)).toEqual({
      userinfo: { name: null, nickname: { value: 'ada' }, picture: { values: ['a', 'b'] } },
      id_token: { email: { essential: true }, auth_time: { essential: true } },
    });
    for (const bad of ['{', '[]', 'null', '"x"', '{"userinfo":[]}', '{"id_token":"email"}', '{"userinfo":{"email":true}}', '{"userinfo":{"email":{"essential":"yes"}}}', '{"id_token":{"email":{"values":"a"}}}']) {
      const response = await initiate(server, standardQuery(app, pkce().challenge, { claims: bad }));
      expect(response.status, bad).toBe(400);
      expect((await response.json()).error, bad).toBe('invalid_request');
    }
  });

  // ——— hosted pages: prompt=none ———

  it('OpenID Connect Core §3.1.2.1: prompt=none without a sign-in → login_required to the redirect URI (state, iss), never a page; the request is spent', async () => {
    const { path, page } = await openHosted(app, { prompt: 'none' });
    expect(page.status).toBe(302);
    expect(page.headers.get('content-type') ?? '').not.toMatch(/html/);
    expect(locationOf(page).origin + locationOf(page).pathname).toBe(app.redirectUri);
    expect(paramsOf(page)).toEqual({ error: 'login_required', error_description: 'the user is not signed in', state: 'state-1234567890', iss: server.url });
    // Spent: opening it again still shows no page, only the way back.
    const again = await server.request(path, { redirect: 'manual' });
    expect(again.status).toBe(302);
    expect(paramsOf(again).error).toBe('access_denied');
    const { state: _state, ...withoutState } = hostedQuery(app, { prompt: 'none' });
    const started = await initiate(server, withoutState);
    const stateless = await server.request(locationOf(started).pathname, { redirect: 'manual' });
    expect(paramsOf(stateless)).toEqual({ error: 'login_required', error_description: 'the user is not signed in', iss: server.url });
  });

  it('OpenID Connect Core §3.1.2.1: prompt=none with a usable sign-in and remembered consent → the code; consent needed → consent_required', async () => {
    const approved = await approvedApp(user);
    const cookie = await signedInBrowser(approved, user);
    const { page } = await openHosted(approved, { prompt: 'none' }, cookie);
    expect(page.status).toBe(302);
    expect(paramsOf(page)).toEqual({ code: expect.stringMatching(/^ac_/), state: 'state-1234567890', iss: server.url });

    const unapproved = await createOAuthApp(server);
    const needsConsent = await openHosted(unapproved, { prompt: 'none' }, cookie);
    expect(needsConsent.page.status).toBe(302);
    expect(paramsOf(needsConsent.page)).toMatchObject({ error: 'consent_required', state: 'state-1234567890', iss: server.url });
  });

  // ——— hosted pages: prompt=login, max_age, id_token_hint ———

  it('OpenID Connect Core §3.1.2.1: prompt=login shows the login page despite a live sign-in; signing in again updates auth_time', async () => {
    const approved = await approvedApp(user);
    const cookie = await signedInBrowser(approved, user);
    const firstSignIn = server.clock.now();
    server.clock.advance(30);
    const { path, page } = await openHosted(approved, { prompt: 'login' }, cookie);
    expect(page.status).toBe(200);
    const body = await page.clone().text();
    expect(body).toContain('<h1>Sign in to continue to');
    const renewed = await signInOnPage(path, page, user, cookie);
    const done = await server.request(path, { headers: { cookie: renewed }, redirect: 'manual' });
    expect(done.status).toBe(302);
    const code = paramsOf(done).code!;
    const stored = await store().findAuthorizationCode(hashSecret(code));
    expect(stored!.authTime).toBe(firstSignIn + 30_000);
    // Without prompt=login the same sign-in answers at once.
    expect((await openHosted(approved, {}, cookie)).page.status).toBe(302);
  });

  it('OpenID Connect Core §3.1.2.1: max_age — an older sign-in re-authenticates (prompt=none: login_required); a recent one answers', async () => {
    const approved = await approvedApp(user);
    const cookie = await signedInBrowser(approved, user);
    server.clock.advance(120);
    expect((await openHosted(approved, { max_age: '600' }, cookie)).page.status).toBe(302);
    const tooOld = await openHosted(approved, { max_age: '60' }, cookie);
    expect(tooOld.page.status).toBe(200);
    expect(await tooOld.page.clone().text()).toContain('<h1>Sign in to continue to');
    const silent = await openHosted(approved, { max_age: '60', prompt: 'none' }, cookie);
    expect(paramsOf(silent.page)).toMatchObject({ error: 'login_required', error_description: 'the sign-in is older than max_age' });
    // The fresh sign-in made for the request satisfies max_age, even max_age=0.
    const renewed = await signInOnPage(tooOld.path, tooOld.page, user, cookie);
    const done = await server.request(tooOld.path, { headers: { cookie: renewed }, redirect: 'manual' });
    expect(paramsOf(done).code).toMatch(/^ac_/);
    const zero = await openHosted(approved, { max_age: '0' }, renewed);
    expect(zero.page.status).toBe(302);
  });

  it('OpenID Connect Core §3.1.2.1: id_token_hint of another person — fresh login, or login_required with prompt=none; the same person answers at once', async () => {
    const approved = await approvedApp(user);
    await obtainCode(server, approved, other);
    const hint = await idTokenFor(approved, user);
    const asOther = await signedInBrowser(approved, other);
    const asUser = await signedInBrowser(approved, user);
    server.clock.advance(1);

    expect(paramsOf((await openHosted(approved, { id_token_hint: hint }, asUser)).page).code).toMatch(/^ac_/);
    const silent = await openHosted(approved, { id_token_hint: hint, prompt: 'none' }, asOther);
    expect(paramsOf(silent.page)).toMatchObject({ error: 'login_required', error_description: 'the signed-in user is not the one id_token_hint names' });

    const fresh = await openHosted(approved, { id_token_hint: hint }, asOther);
    expect(fresh.page.status).toBe(200);
    // Signing in as the named person answers; signing in again as the other one is login_required.
    const asNamed = await signInOnPage(fresh.path, fresh.page.clone(), user, asOther);
    expect(paramsOf(await server.request(fresh.path, { headers: { cookie: asNamed }, redirect: 'manual' })).code).toMatch(/^ac_/);
    const wrongAgain = await openHosted(approved, { id_token_hint: hint }, asOther);
    const stillOther = await signInOnPage(wrongAgain.path, wrongAgain.page, other, asOther);
    const refused = await server.request(wrongAgain.path, { headers: { cookie: stillOther }, redirect: 'manual' });
    expect(refused.status).toBe(302);
    expect(paramsOf(refused)).toMatchObject({ error: 'login_required', state: 'state-1234567890', iss: server.url });
  });

  // ——— hosted pages: prompt=consent, login_hint ———

  it('OpenID Connect Core §3.1.2.1: prompt=consent asks again despite remembered consent; a first-party application still skips it', async () => {
    const approved = await approvedApp(user);
    const cookie = await signedInBrowser(approved, user);
    expect((await openHosted(approved, {}, cookie)).page.status).toBe(302);
    const asked = await openHosted(approved, { prompt: 'consent' }, cookie);
    expect(asked.page.status).toBe(200);
    expect(await asked.page.text()).toContain('wants to access your account');

    const firstParty = await createOAuthApp(server, { isFirstParty: true });
    const skipped = await openHosted(firstParty, { prompt: 'consent' }, cookie);
    expect(skipped.page.status).toBe(302);
    expect(paramsOf(skipped.page).code).toMatch(/^ac_/);
  });

  it('SPEC §7 / Core §5.5: the consent page names what the claims parameter asks for beyond the scope, and every standard scope in words', async () => {
    const target = await createOAuthApp(server, { scopes: ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'] });
    const cookie = await signedInBrowser(target, user);
    const claims = JSON.stringify({ userinfo: { phone_number: { essential: true } }, id_token: { address: null } });
    const page = await (await openHosted(target, { scope: 'openid email offline_access', claims }, cookie)).page.text();
    expect(page).toContain('See your email address');
    expect(page).toContain('See your phone number');
    expect(page).toContain('See your postal address');
    expect(page).toContain('Keep this access while you are not using the application');
    expect(page).not.toContain('See your name');
  });

  it('OpenID Connect Core §3.1.2.1: login_hint pre-fills the email field (escaped); a hint that is not an email is not shown', async () => {
    const prefilled = await (await openHosted(app, { login_hint: 'ada@example.com' })).page.text();
    expect(prefilled).toContain('<input id="email" name="email" type="email" autocomplete="username webauthn" required value="ada@example.com">');
    const hostile = await (await openHosted(app, { login_hint: '"><b>x</b>@example.com' })).page.text();
    expect(hostile).toContain('value="&quot;&gt;&lt;b&gt;x&lt;/b&gt;@example.com"');
    expect(hostile).not.toContain('<b>x</b>');
    const phone = await (await openHosted(app, { login_hint: '+14155550100' })).page.text();
    expect(phone).toContain('required value="">');
  });

  // ——— API mode (SPEC §6.3) ———

  it('OpenID Connect Core §3.1.2.1 in API mode: max_age older than the login token → 400 login_required; a new login then succeeds', async () => {
    const token = await loginToken(server, app, user.email, user.password);
    server.clock.advance(120);
    const started = await (await initiate(server, standardQuery(app, pkce().challenge, { max_age: '60' }))).json();
    const refused = await authorizeStep3(server, app, token, started.token);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'login_required', error_description: 'the sign-in is older than max_age' });
    const fresh = await loginToken(server, app, user.email, user.password);
    expect((await authorizeStep3(server, app, fresh, started.token)).status).toBe(200);
  });

  it('OpenID Connect Core §3.1.2.1 in API mode: id_token_hint of another user → login_required; prompt=none is fine; prompt=login wants a newer login', async () => {
    const hint = await idTokenFor(app, user);
    const otherToken = await loginToken(server, app, other.email, other.password);
    const hinted = await (await initiate(server, standardQuery(app, pkce().challenge, { id_token_hint: hint }))).json();
    const refused = await authorizeStep3(server, app, otherToken, hinted.token);
    expect(await refused.json()).toEqual({ error: 'login_required', error_description: 'the signed-in user is not the one id_token_hint names' });
    expect((await authorizeStep3(server, app, await loginToken(server, app, user.email, user.password), hinted.token)).status).toBe(200);

    const none = await (await initiate(server, standardQuery(app, pkce().challenge, { prompt: 'none' }))).json();
    expect((await authorizeStep3(server, app, otherToken, none.token)).status).toBe(200);

    server.clock.advance(1);
    const login = await (await initiate(server, standardQuery(app, pkce().challenge, { prompt: 'login' }))).json();
    expect(await (await authorizeStep3(server, app, otherToken, login.token)).json()).toEqual({ error: 'login_required', error_description: 'prompt=login asks for a new sign-in' });
    expect((await authorizeStep3(server, app, await loginToken(server, app, other.email, other.password), login.token)).status).toBe(200);
  });
});
