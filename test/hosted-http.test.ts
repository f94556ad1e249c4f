import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization } from '../src/flows/bootstrap.js';
import { setApplicationBranding, setOrganizationBranding } from '../src/flows/branding.js';
import { describeEachEngine } from './helpers/engines.js';
import { basicOf, createOAuthApp, createPasswordUser, initiate, obtainCode, pkce, standardQuery, tokenRequest, type OAuthApp } from './helpers/oauth.js';
import { latestCode } from './helpers/otp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Cookies of a response as name → attribute string. */
function cookies(response: Response): Map<string, string> {
  return new Map(response.headers.getSetCookie().map((line) => [line.split('=')[0]!, line]));
}

describeEachEngine('hosted pages over HTTP (SPEC §7)', (engine) => {
  let server: TestServer;
  let app: OAuthApp;

  beforeAll(async () => {
    server = await startTestServer(engine);
    app = await createOAuthApp(server);
  });
  afterAll(() => server?.close());

  /** A hosted authorization session: its page path, the page response, and the browser's cookies. */
  async function openPage(target: OAuthApp = app) {
    const { challenge } = pkce();
    const { mode: _mode, ...query } = standardQuery(target, challenge);
    const started = await initiate(server, query);
    const path = new URL(started.headers.get('location')!).pathname;
    const page = await server.request(path);
    const jar = [...cookies(page).values()].map((line) => line.split(';')[0]).join('; ');
    const body = await page.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(body)![1]!;
    return { path, page, body, jar, csrf };
  }

  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    server.request(path, { method: 'POST', body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, redirect: 'manual' });

  it('RFC 9700 §4.16 / SPEC §7: CSP without unsafe-inline, frame-ancestors none, no referrer, no framing', async () => {
    const { page } = await openPage();
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("form-action 'self' https://client.example");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('SPEC §7: cookies are HttpOnly and SameSite=Lax (Secure is dropped only for an http loopback issuer)', async () => {
    const { page } = await openPage();
    const csrf = cookies(page).get('latchkey_csrf')!;
    expect(csrf).toMatch(/HttpOnly/);
    expect(csrf).toMatch(/SameSite=Lax/);
    expect(csrf).not.toMatch(/Secure/);
  });

  it('RFC 9700 §4.7: a form without the CSRF token, with another browser\'s token, or from another site → 403, nothing done', async () => {
    const user = await createPasswordUser(server);
    const { path, jar, csrf } = await openPage();
    const credentials = { email: user.email, password: user.password };
    const missing = await post(`${path}/login`, credentials, { cookie: jar });
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain('The form has expired'.replace('The', 'the'));
    const otherBrowser = await post(`${path}/login`, { ...credentials, csrf }, { cookie: 'latchkey_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(otherBrowser.status).toBe(403);
    const crossSite = await post(`${path}/login`, { ...credentials, csrf }, { cookie: jar, origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    const fetchMetadata = await post(`${path}/login`, { ...credentials, csrf }, { cookie: jar, 'sec-fetch-site': 'cross-site' });
    expect(fetchMetadata.status).toBe(403);
    // None of them signed in: no session cookie was set.
    for (const response of [missing, otherBrowser, crossSite, fetchMetadata]) expect(cookies(response).has('latchkey_session')).toBe(false);
    const genuine = await post(`${path}/login`, { ...credentials, csrf }, { cookie: jar, 'sec-fetch-site': 'same-origin' });
    expect(genuine.status).toBe(303);
    const session = cookies(genuine).get('latchkey_session')!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
  });

  it('RFC 9700 §4.7: every hosted form refuses a missing token and a cross-site POST', async () => {
    const { path, jar, csrf } = await openPage();
    for (const form of ['login', 'second-factor', 'email-code', 'email-code/verify', 'consent']) {
      expect((await post(`${path}/${form}`, { email: 'a@example.com', code: '123456', decision: 'approve' }, { cookie: jar })).status, form).toBe(403);
      expect((await post(`${path}/${form}`, { csrf, decision: 'approve' }, { cookie: jar, 'sec-fetch-site': 'cross-site' })).status, form).toBe(403);
    }
  });

  it('a second factor on the hosted pages: password, then the SMS code; an email code does not skip it', async () => {
    const user = await createPasswordUser(server, { phone: '+14155550177' });
    const { path, jar, csrf } = await openPage();
    const afterPassword = await post(`${path}/login`, { email: user.email, password: user.password, csrf }, { cookie: jar });
    expect(afterPassword.status).toBe(200);
    const page = await afterPassword.text();
    expect(page).toContain('We sent a 6-digit code to +1•••77');
    expect(cookies(afterPassword).has('latchkey_session')).toBe(false);
    const pending = /name="pending" value="([^"]+)"/.exec(page)![1]!;
    const wrong = await post(`${path}/second-factor`, { pending, code: '000000', csrf }, { cookie: jar });
    expect(wrong.status).toBe(401);
    const right = await post(`${path}/second-factor`, { pending, code: await latestCode(server, '+14155550177'), csrf }, { cookie: jar });
    expect(right.status).toBe(303);
    expect(cookies(right).has('latchkey_session')).toBe(true);

    // The pending token of one request does not work for another.
    const other = await openPage();
    const foreign = await post(`${other.path}/second-factor`, { pending, code: '123456', csrf: other.csrf }, { cookie: other.jar });
    expect(foreign.status).toBe(401);

    // An email code replaces the password, not the second factor.
    const viaEmail = await openPage();
    server.clock.advance(61);
    await post(`${viaEmail.path}/email-code`, { email: user.email, csrf: viaEmail.csrf }, { cookie: viaEmail.jar });
    const emailed = await post(`${viaEmail.path}/email-code/verify`, { email: user.email, code: await latestCode(server, user.email), csrf: viaEmail.csrf }, { cookie: viaEmail.jar });
    expect(emailed.status).toBe(200);
    expect(await emailed.text()).toContain('We sent a 6-digit code to +1•••77');
    expect(cookies(emailed).has('latchkey_session')).toBe(false);
  });

  it('SPEC §7: the same lockout as the API on the hosted login form (429 page)', async () => {
    const user = await createPasswordUser(server);
    const { path, jar, csrf } = await openPage();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await post(`${path}/login`, { email: user.email, password: 'wrong', csrf }, { cookie: jar })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const locked = await post(`${path}/login`, { email: user.email, password: user.password, csrf }, { cookie: jar });
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain('Too many attempts');
  });

  it('every hosted page carries the CSP and no-store: consent, expired, not found, refused', async () => {
    const user = await createPasswordUser(server);
    const { path, jar, csrf } = await openPage();
    const login = await post(`${path}/login`, { email: user.email, password: user.password, csrf }, { cookie: jar });
    const session = cookies(login).get('latchkey_session')!.split(';')[0];
    const consent = await server.request(path, { headers: { cookie: `${jar}; ${session}` } });
    expect(await consent.text()).toContain('wants to access your account');
    server.clock.advance(601);
    const expired = await server.request(path);
    expect(expired.status).toBe(410);
    const refused = await post(`${path}/login`, {}, { cookie: jar });
    for (const response of [consent, expired, await server.request('/oauth/authorize/azr_none'), refused]) {
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  /** What a reader sees of a page: the text of its body, without tags. */
  const visibleText = (html: string) => html.slice(html.indexOf('<body>')).replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ');

  it('issue 11.16: the footer never shows the organization slug; it names the display name when one is set', async () => {
    const { deps } = server.server.runtime;
    const { body } = await openPage();
    expect(body).toContain('<footer class="footer"><p>Secured by Latchkey</p></footer>');
    expect(visibleText(body)).not.toContain('default');

    const organization = await createOrganization(deps, 'shop-co');
    const shopApp = await createOAuthApp(server, { organizationId: organization.id });
    expect((await openPage(shopApp)).body).toContain('<footer class="footer"><p>Secured by Latchkey</p></footer>');
    await setOrganizationBranding(deps, organization.id, { displayName: 'Shop & Co', logoUrl: null, accentColor: null });
    const branded = (await openPage(shopApp)).body;
    expect(branded).toContain('<footer class="footer"><p>Secured by Latchkey for Shop &amp; Co</p></footer>');
    expect(visibleText(branded)).not.toContain('shop-co');
  });

  it('issue 11.16: the application name appears once on the login page', async () => {
    const named = await createOAuthApp(server);
    await setApplicationBranding(server.server.runtime.deps, named.id, { name: 'Orbit Books' });
    const { body } = await openPage(named);
    expect(visibleText(body).split('Orbit Books').length - 1).toBe(1);
    expect(body).toContain('<h1>Sign in to continue to Orbit Books</h1>');
  });

  it('issue 11.16: one form, one email field, two submit buttons; the password is not required in HTML', async () => {
    const { path, body } = await openPage();
    expect(body.match(/<form /g)).toHaveLength(1);
    expect(body.match(/<input[^>]*type="email"/g)).toHaveLength(1);
    expect(body.match(/<button type="submit"/g)).toHaveLength(2);
    expect(body).toContain(`<form method="post" action="${path}/login"`);
    expect(body).toContain(`<button type="submit" formaction="${path}/email-code" class="secondary">Email me a sign-in code</button>`);
    expect(/<input[^>]*type="password"[^>]*>/.exec(body)![0]).not.toContain('required');
    expect(body).toContain('<label for="email">Email</label>');
    expect(body).toContain('<label for="password">Password</label>');
  });

  it('issue 11.16: both buttons of the one form work with the fields a browser sends', async () => {
    const user = await createPasswordUser(server);
    // The password button: the form's action.
    const byPassword = await openPage();
    const signedIn = await post(`${byPassword.path}/login`, { csrf: byPassword.csrf, email: user.email, password: user.password }, { cookie: byPassword.jar });
    expect(signedIn.status).toBe(303);
    expect(cookies(signedIn).has('latchkey_session')).toBe(true);

    // The code button: its formaction, with the same fields (the password left empty).
    const byCode = await openPage();
    server.clock.advance(61);
    const sent = await post(`${byCode.path}/email-code`, { csrf: byCode.csrf, email: user.email, password: '' }, { cookie: byCode.jar });
    expect(sent.status).toBe(200);
    expect(await sent.text()).toContain(`We sent a 6-digit code to ${user.email}`);
    const verified = await post(`${byCode.path}/email-code/verify`, { csrf: byCode.csrf, email: user.email, code: await latestCode(server, user.email) }, { cookie: byCode.jar });
    expect(verified.status).toBe(303);
    expect(cookies(verified).has('latchkey_session')).toBe(true);
  });

  it('issue 11.16: the password button with no password → 400 page that asks for it, keeps the email, signs no one in', async () => {
    const user = await createPasswordUser(server);
    const { path, jar, csrf } = await openPage();
    const response = await post(`${path}/login`, { csrf, email: user.email, password: '' }, { cookie: jar });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain('<p class="error" role="alert">Enter your password, or get a sign-in code by email.</p>');
    expect(body).toContain(`value="${user.email}"`);
    expect(cookies(response).has('latchkey_session')).toBe(false);
    const badEmail = await post(`${path}/login`, { csrf, email: 'not-an-email', password: 'x' }, { cookie: jar });
    expect(badEmail.status).toBe(400);
    expect(await badEmail.text()).toContain('Enter a valid email address.');
  });

  it('RFC 8252 §7.1: a native app\'s private-use scheme is allowed as a form target in the CSP', async () => {
    const native = await createOAuthApp(server, { type: 'public', redirectUris: ['com.example.app:/oauth/callback'] });
    const { page } = await openPage(native);
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self' com.example.app:");
  });

  it('script-running redirect URIs are refused at registration', async () => {
    await expect(createOAuthApp(server, { redirectUris: ['javascript:alert(1)'] })).rejects.toThrow(/must not use the javascript: scheme/);
    await expect(createOAuthApp(server, { redirectUris: ['data:text/html,hi'] })).rejects.toThrow(/data:/);
  });

  it('a token for one authorization session does not work for another', async () => {
    const first = await openPage();
    const second = await openPage();
    const user = await createPasswordUser(server);
    const response = await post(`${second.path}/login`, { email: user.email, password: user.password, csrf: first.csrf }, { cookie: first.jar });
    expect(response.status).toBe(403);
  });

  it('error pages show no internals; an unknown session is a 404 page', async () => {
    const response = await server.request('/oauth/authorize/azr_unknown');
    expect(response.status).toBe(404);
    const body = await response.text();
    expect(body).toContain('Sign-in link not valid');
    expect(body).not.toMatch(/at .*\.ts|Error:|stack/);
  });

  /** What an error page must not show: a stack frame, an error class, a file, a query, a store message. */
  function expectNoInternals(response: Response, body: string, secrets: string[] = []) {
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(body).toMatch(/^<!doctype html>/i);
    expect(body).not.toMatch(/\bat \S+ \(|\.ts\b|\.js:\d|node_modules|\w*Error\b|stack|SQLITE|select |insert |update |relation "/i);
    for (const secret of secrets) expect(body).not.toContain(secret);
  }

  it('SPEC §7: a store failure on a hosted page → a 500 page with the request id and no internals', async () => {
    const { path, jar, csrf } = await openPage();
    const store = server.server.runtime.deps.store as unknown as Record<string, unknown>;
    const originals = Object.entries(store).filter(([, method]) => typeof method === 'function');
    const internal = 'SQLITE_CORRUPT: database disk image is malformed in /var/lib/latchkey/latchkey.db (select * from sessions)';
    for (const [name] of originals) store[name] = () => Promise.reject(new Error(internal));
    try {
      for (const response of [await server.request(path), await post(`${path}/login`, { csrf, email: 'a@example.com', password: 'pw' }, { cookie: jar })]) {
        expect(response.status).toBe(500);
        const body = await response.text();
        expectNoInternals(response, body, [internal, 'SQLITE_CORRUPT', '/var/lib/latchkey', 'a@example.com']);
        expect(body).toContain('Something went wrong');
        expect(body).toContain(response.headers.get('x-request-id')!);
      }
    } finally {
      for (const [name, method] of originals) store[name] = method;
    }
    expect((await server.request(path)).status).toBe(200);
  });

  it('SPEC §7: a 400 hosted page (bad text, an unreadable body) shows what to fix and no internals', async () => {
    const { path, jar, csrf } = await openPage();
    const badText = await post(`${path}/login`, { csrf, email: 'nul\u0000@example.com', password: 'pw' }, { cookie: jar });
    expect(badText.status).toBe(400);
    expectNoInternals(badText, await badText.text(), ['\u0000']);
    const broken = await server.request(`${path}/login`, {
      method: 'POST', body: '--x\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nunterminated',
      headers: { 'content-type': 'multipart/form-data; boundary=x', cookie: jar }, redirect: 'manual',
    });
    expect(broken.status).toBe(400);
    expectNoInternals(broken, await broken.text());
  });

  it('SPEC §7: the hosted login answers an unknown email exactly as a wrong password (status, page, cookies)', async () => {
    const user = await createPasswordUser(server);
    const attempt = async (email: string) => {
      const { path, jar, csrf } = await openPage();
      const response = await post(`${path}/login`, { csrf, email, password: 'not the password' }, { cookie: jar });
      // The page differs only where it must: its own path, CSRF token and the email echoed back.
      const body = (await response.text()).replaceAll(path, '<path>').replaceAll(csrf, '<csrf>').replaceAll(email, '<email>');
      return { status: response.status, body, cookies: [...cookies(response).keys()].sort() };
    };
    const wrongPassword = await attempt(user.email);
    const unknownEmail = await attempt(`nobody-${user.email}`);
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail).toEqual(wrongPassword);
  });

  it('page text is escaped: a hostile application name cannot inject markup', async () => {
    const { deps } = server.server.runtime;
    const hostile = await createOAuthApp(server);
    await deps.store.updateApplicationBranding(hostile.id, { name: '<script>alert(1)</script>' });
    const { body } = await openPage(hostile);
    expect(body).not.toContain('<script>');
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('SPEC §7: consent is skipped for first-party applications, and remembered consent can be withdrawn', async () => {
    const { deps } = server.server.runtime;
    const user = await createPasswordUser(server);
    const firstParty = await createOAuthApp(server);
    await deps.store.updateApplicationBranding(firstParty.id, { isFirstParty: true });
    const signIn = async (target: OAuthApp) => {
      const { path, jar, csrf } = await openPage(target);
      const login = await post(`${path}/login`, { email: user.email, password: user.password, csrf }, { cookie: jar });
      const sessionCookie = cookies(login).get('latchkey_session')!.split(';')[0];
      return server.request(path, { headers: { cookie: `${jar}; ${sessionCookie}` }, redirect: 'manual' });
    };
    const direct = await signIn(firstParty);
    expect(direct.status).toBe(302);
    expect(direct.headers.get('location')).toMatch(/^https:\/\/client\.example\/callback\?code=ac_[\w-]{43}&state=state-1234567890&iss=/);

    const thirdParty = await createOAuthApp(server);
    const asked = await signIn(thirdParty);
    expect(asked.status).toBe(200);
    expect(await asked.text()).toContain('wants to access your account');
    // Approved once (here in API mode, which records the same grant), consent is remembered…
    const { code, verifier } = await obtainCode(server, thirdParty, user);
    const tokens = await (await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: thirdParty.redirectUri, code_verifier: verifier }, basicOf(thirdParty))).json();
    const remembered = await signIn(thirdParty);
    expect(remembered.status).toBe(302);
    expect(remembered.headers.get('location')).toMatch(/^https:\/\/client\.example\/callback\?code=ac_/);
    // …until it is withdrawn with the revoke endpoint.
    const revoked = await server.request('/v1/auth/oauth/revoke', { method: 'DELETE', headers: { authorization: `Bearer ${tokens.access_token}`, 'x-client-key': thirdParty.publishableKey } });
    expect(revoked.status).toBe(200);
    expect((await signIn(thirdParty)).status).toBe(200);
  });
});

describeEachEngine('hosted cookies behind an https issuer', (engine) => {
  it('SPEC §7: Secure cookies with the __Host- prefix', async () => {
    const server = await startTestServer(engine, { LATCHKEY_ISSUER: 'https://auth.example.test' });
    try {
      const app = await createOAuthApp(server);
      const { challenge } = pkce();
      const { mode: _mode, ...query } = standardQuery(app, challenge);
      const started = await initiate(server, query);
      const page = await server.request(new URL(started.headers.get('location')!).pathname);
      const csrf = page.headers.getSetCookie().find((line) => line.startsWith('__Host-latchkey_csrf='))!;
      expect(csrf).toMatch(/; Path=\//);
      expect(csrf).toMatch(/; Secure/);
      expect(csrf).toMatch(/; HttpOnly/);
      expect(csrf).not.toMatch(/Domain=/);
    } finally {
      await server.close();
    }
  });
});
