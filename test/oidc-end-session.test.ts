import { decodeJwt } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApplication } from '../src/flows/applications.js';
import { describeEachEngine } from './helpers/engines.js';
import { basicOf, createPasswordUser, initiate, obtainCode, pkce, standardQuery, tokenRequest, type OAuthApp } from './helpers/oauth.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const END_SESSION = '/v1/auth/oauth/end-session';

/** A browser's cookies, kept by hand: Set-Cookie lines update it, Max-Age=0 removes. */
class CookieJar {
  readonly values = new Map<string, string>();
  take(response: Response): Response {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const name = pair!.slice(0, pair!.indexOf('='));
      if (/max-age=0/i.test(line)) this.values.delete(name);
      else this.values.set(name, pair!.slice(name.length + 1));
    }
    return response;
  }
  header(): string {
    return [...this.values].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

interface Tokens {
  access_token: string;
  refresh_token: string;
  id_token: string;
}

describeEachEngine('OpenID Connect RP-Initiated Logout 1.0 (SPEC §9): end_session_endpoint', (engine) => {
  let server: TestServer;
  let shop: OAuthApp;
  let other: OAuthApp;
  let organizationId: string;
  const signedOut = 'https://client.example/signed-out';

  beforeAll(async () => {
    server = await startTestServer(engine);
    const { deps } = server.server.runtime;
    organizationId = (await deps.store.findOrganizationByName('default'))!.id;
    const make = async (name: string, origin: string): Promise<OAuthApp> => {
      const { application, secretKey } = await createApplication(deps, {
        organizationId, name, type: 'confidential', environment: 'test',
        redirectUris: [`${origin}/callback`], postLogoutRedirectUris: [`${origin}/signed-out`],
      });
      return { id: application.id, publishableKey: application.publishableKey, secretKey, redirectUri: `${origin}/callback` };
    };
    shop = await make('Shop', 'https://client.example');
    other = await make('Other', 'https://other.example');
  });
  afterAll(() => server?.close());

  const get = (path: string, jar?: CookieJar) => server.request(path, { redirect: 'manual', headers: jar ? { cookie: jar.header() } : {} });
  const post = (path: string, form: Record<string, string>, jar?: CookieJar, headers: Record<string, string> = {}) =>
    server.request(path, {
      method: 'POST', redirect: 'manual', body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(jar ? { cookie: jar.header() } : {}), ...headers },
    });
  const endSession = (params: Record<string, string>, jar?: CookieJar) => get(`${END_SESSION}?${new URLSearchParams(params)}`, jar);
  const csrfOf = (page: string) => /name="csrf" value="([^"]+)"/.exec(page)![1]!;

  /** One hosted authorization of `app` in the browser of `jar` (signing in unless it already is): its tokens. */
  async function authorizeInBrowser(app: OAuthApp, jar: CookieJar, user: { email: string; password: string }): Promise<Tokens> {
    const { verifier, challenge } = pkce();
    const { mode: _mode, ...query } = standardQuery(app, challenge);
    const path = new URL((await initiate(server, query)).headers.get('location')!).pathname;
    let page = jar.take(await get(path, jar));
    let body = await page.text();
    if (body.includes('Sign in to continue')) {
      const login = jar.take(await post(`${path}/login`, { email: user.email, password: user.password, csrf: csrfOf(body) }, jar));
      expect(login.status).toBe(303);
      page = jar.take(await get(path, jar));
      body = await page.text();
    }
    expect(body).toContain('wants to access your account');
    const approved = jar.take(await post(`${path}/consent`, { decision: 'approve', csrf: csrfOf(body) }, jar));
    expect(approved.status).toBe(303);
    const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;
    const tokens = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier }, basicOf(app));
    expect(tokens.status).toBe(200);
    return tokens.json();
  }

  /** A browser signed in on the hosted pages for `shop` (and, when asked, for `other` by single sign-on). */
  async function signedInBrowser(options: { alsoOther?: boolean } = {}) {
    const user = await createPasswordUser(server);
    const jar = new CookieJar();
    const tokens = await authorizeInBrowser(shop, jar, user);
    const otherTokens = options.alsoOther ? await authorizeInBrowser(other, jar, user) : undefined;
    const loginToken = jar.values.get('latchkey_session')!;
    return { user, jar, tokens, otherTokens, loginToken, sid: decodeJwt(loginToken).sid as string };
  }

  const refresh = (app: OAuthApp, token: string) => tokenRequest(server, { grant_type: 'refresh_token', refresh_token: token }, basicOf(app));
  const userInfo = (token: string) => server.request('/v1/user', { headers: { authorization: `Bearer ${token}` } });
  const isLoginSessionLive = async (loginToken: string) => (await userInfo(loginToken)).status === 200;
  const endEvents = async (sessionId: string) =>
    (await server.server.runtime.deps.store.listAuditEvents(organizationId, 'logout.end_session')).filter((event) => event.data.sessionId === sessionId);

  it('RP-Initiated Logout 1.0 §2, §3: an attributed request (id_token_hint of this sign-in) ends it at once and goes back to the registered URI with state', async () => {
    const browser = await signedInBrowser({ alsoOther: true });
    const response = await endSession({ id_token_hint: browser.tokens.id_token, post_logout_redirect_uri: signedOut, state: 'bye-123' }, browser.jar);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${signedOut}?state=bye-123`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    // The session cookie is cleared…
    browser.jar.take(response);
    expect(browser.jar.values.has('latchkey_session')).toBe(false);
    // …and the sign-in behind it is dead, with the application's token family.
    expect(await isLoginSessionLive(browser.loginToken)).toBe(false);
    const refreshed = await refresh(shop, browser.tokens.refresh_token);
    expect(refreshed.status).toBe(400);
    expect((await refreshed.json()).error).toBe('invalid_grant');
    expect((await userInfo(browser.tokens.access_token)).status).toBe(401);
    expect(await endEvents(browser.sid)).toMatchObject([{ data: { applicationId: shop.id, familiesRevoked: 1, via: 'id_token_hint' } }]);
  });

  it('SPEC §9 "the sessions it started for that application": another application\'s tokens from the same sign-in survive', async () => {
    const browser = await signedInBrowser({ alsoOther: true });
    expect((await endSession({ id_token_hint: browser.tokens.id_token }, browser.jar)).status).toBe(200);
    expect(await isLoginSessionLive(browser.loginToken)).toBe(false);
    expect((await userInfo(browser.tokens.access_token)).status).toBe(401);
    expect((await userInfo(browser.otherTokens!.access_token)).status).toBe(200);
    expect((await refresh(other, browser.otherTokens!.refresh_token)).status).toBe(200);
  });

  it('SPEC §9: after the sign-out a new authorization request of the same browser shows the login page again', async () => {
    const browser = await signedInBrowser();
    // The browser still sends the old cookie (as if it ignored the clearing): its sign-in is dead anyway.
    const stale = new CookieJar();
    for (const [name, value] of browser.jar.values) stale.values.set(name, value);
    await endSession({ id_token_hint: browser.tokens.id_token }, browser.jar);
    for (const jar of [browser.jar, stale]) {
      const { challenge } = pkce();
      const { mode: _mode, ...query } = standardQuery(shop, challenge);
      const path = new URL((await initiate(server, query)).headers.get('location')!).pathname;
      expect(await (await get(path, jar)).text()).toContain('Sign in to continue to Shop');
    }
  });

  it('RP-Initiated Logout 1.0 §2: POST with a form body works like GET (303 back)', async () => {
    const browser = await signedInBrowser();
    const response = await post(END_SESSION, { id_token_hint: browser.tokens.id_token, post_logout_redirect_uri: signedOut, state: 's1' }, browser.jar);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${signedOut}?state=s1`);
    expect(await isLoginSessionLive(browser.loginToken)).toBe(false);
    expect((await refresh(shop, browser.tokens.refresh_token)).status).toBe(400);
  });

  it('RP-Initiated Logout 1.0 §2: without post_logout_redirect_uri the person sees "You are signed out"', async () => {
    const browser = await signedInBrowser();
    const response = await endSession({ id_token_hint: browser.tokens.id_token, state: 'ignored' }, browser.jar);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('You are signed out');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await isLoginSessionLive(browser.loginToken)).toBe(false);
  });

  it('RP-Initiated Logout 1.0 §3: refused requests are 400 pages, never redirects, and end nothing', async () => {
    const browser = await signedInBrowser();
    const hint = browser.tokens.id_token;
    const forged = `${hint.slice(0, hint.lastIndexOf('.') + 1)}${'A'.repeat(40)}`;
    const refused: Array<[Record<string, string>, string]> = [
      [{ id_token_hint: hint, post_logout_redirect_uri: 'https://evil.example/signed-out', state: 'x' }, 'not registered for this client'],
      // Another client's registered URI is not this client's.
      [{ id_token_hint: hint, post_logout_redirect_uri: 'https://other.example/signed-out' }, 'not registered for this client'],
      [{ post_logout_redirect_uri: signedOut }, 'needs id_token_hint or client_id'],
      [{ id_token_hint: forged, post_logout_redirect_uri: signedOut }, 'not an ID token issued by this server'],
      [{ id_token_hint: browser.tokens.access_token }, 'not an ID token issued by this server'],
      [{ id_token_hint: hint, client_id: other.publishableKey }, 'client_id is not the audience of id_token_hint'],
      [{ client_id: 'pk_test_nobody', post_logout_redirect_uri: signedOut }, 'the client is unknown'],
    ];
    for (const [params, message] of refused) {
      const response = await endSession(params, browser.jar);
      expect(response.status, message).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain(message);
      expect(response.headers.getSetCookie().join()).not.toContain('latchkey_session');
    }
    const repeated = await get(`${END_SESSION}?state=a&state=b`, browser.jar);
    expect(repeated.status).toBe(400);
    expect(await repeated.text()).toContain('the state parameter is repeated');
    expect(await isLoginSessionLive(browser.loginToken)).toBe(true);
    expect((await userInfo(browser.tokens.access_token)).status).toBe(200);
  });

  it('RP-Initiated Logout 1.0 §2: without a hint the person is asked; a forged or cross-site answer is 403 and ends nothing; "Sign out" ends it', async () => {
    const browser = await signedInBrowser();
    const question = browser.jar.take(await endSession({ client_id: shop.publishableKey, post_logout_redirect_uri: signedOut, state: 'st' }, browser.jar));
    expect(question.status).toBe(200);
    const page = await question.text();
    expect(page).toContain('Sign out of Shop?');
    expect(page).toContain(browser.user.email);
    expect(page).toContain(`action="${END_SESSION}/confirm"`);
    // The answer may redirect to the client: form-action names it (CSP checks a form's redirects).
    expect(question.headers.get('content-security-policy')).toContain("form-action 'self' https://client.example;");
    expect(question.headers.get('cache-control')).toBe('no-store');
    expect(await isLoginSessionLive(browser.loginToken)).toBe(true);

    const answer = { client_id: shop.publishableKey, post_logout_redirect_uri: signedOut, state: 'st', decision: 'confirm' };
    expect((await post(`${END_SESSION}/confirm`, answer, browser.jar)).status).toBe(403);
    expect((await post(`${END_SESSION}/confirm`, { ...answer, csrf: 'A'.repeat(43) }, browser.jar)).status).toBe(403);
    expect((await post(`${END_SESSION}/confirm`, { ...answer, csrf: csrfOf(page) }, browser.jar, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(`${END_SESSION}/confirm`, { ...answer, csrf: csrfOf(page) }, browser.jar, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(await isLoginSessionLive(browser.loginToken)).toBe(true);

    const confirmed = await post(`${END_SESSION}/confirm`, { ...answer, csrf: csrfOf(page) }, browser.jar, { 'sec-fetch-site': 'same-origin' });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe(`${signedOut}?state=st`);
    expect(confirmed.headers.getSetCookie().join()).toMatch(/latchkey_session=;.*Max-Age=0/i);
    expect(await isLoginSessionLive(browser.loginToken)).toBe(false);
    expect((await refresh(shop, browser.tokens.refresh_token)).status).toBe(400);
    expect(await endEvents(browser.sid)).toMatchObject([{ data: { applicationId: shop.id, via: 'confirmation' } }]);
  });

  it('RP-Initiated Logout 1.0 §2: a hint about someone else is not attributed — asked; "Stay signed in" keeps this browser\'s sign-in (the hinted person\'s tokens of this client end: the client asked)', async () => {
    const browser = await signedInBrowser();
    const someoneElse = await createPasswordUser(server);
    const { code, verifier } = await obtainCode(server, shop, someoneElse);
    const theirs = await (await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: shop.redirectUri, code_verifier: verifier }, basicOf(shop))).json();
    const question = browser.jar.take(await endSession({ id_token_hint: theirs.id_token, post_logout_redirect_uri: signedOut, state: 'st2' }, browser.jar));
    expect(question.status).toBe(200);
    const page = await question.text();
    expect(page).toContain('Sign out of Shop?');
    expect(page).toContain('name="id_token_hint"');
    const cancelled = await post(`${END_SESSION}/confirm`, { id_token_hint: theirs.id_token, post_logout_redirect_uri: signedOut, state: 'st2', decision: 'cancel', csrf: csrfOf(page) }, browser.jar);
    expect(cancelled.status).toBe(303);
    expect(cancelled.headers.get('location')).toBe(`${signedOut}?state=st2`);
    expect(cancelled.headers.getSetCookie().join()).not.toContain('latchkey_session');
    expect(await isLoginSessionLive(browser.loginToken)).toBe(true);
    // The hint was issued to this client about its person: that person's tokens of this client end at
    // once (endHintedFamilies), whatever this browser answers about its own sign-in.
    expect((await userInfo(theirs.access_token)).status).toBe(401);
  });

  it('RP-Initiated Logout 1.0 §2: no sign-in in this browser — nothing to end, still back to the registered URI with state', async () => {
    const browser = await signedInBrowser();
    const response = await endSession({ id_token_hint: browser.tokens.id_token, post_logout_redirect_uri: signedOut, state: 'nobody' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${signedOut}?state=nobody`);
    // Another browser's sign-in (the one the hint names) is untouched: the request came without it.
    expect(await isLoginSessionLive(browser.loginToken)).toBe(true);
    const noUri = await endSession({});
    expect(noUri.status).toBe(200);
    expect(await noUri.text()).toContain('You are signed out');
  });

  it('OpenID Connect Core §2: an expired ID token is still a good hint', async () => {
    const browser = await signedInBrowser();
    server.clock.advance(7 * 24 * 3600);
    // The login session outlived its token here: the cookie's token is dead, so the sign-in is gone too.
    const response = await endSession({ id_token_hint: browser.tokens.id_token, post_logout_redirect_uri: signedOut }, browser.jar);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(signedOut);
  });
});
