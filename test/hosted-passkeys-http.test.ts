import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { createOAuthApp, createPasswordUser, initiate, pkce, standardQuery, type OAuthApp } from './helpers/oauth.js';
import { latestCode } from './helpers/otp.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { SoftAuthenticator } from './helpers/webauthn.js';

/** Cookies of a response as name → attribute string. */
function cookies(response: Response): Map<string, string> {
  return new Map(response.headers.getSetCookie().map((line) => [line.split('=')[0]!, line]));
}

// SPEC §7, §12: the hosted passkey sign-in and the account page over HTTP — CSRF, methods, bad input
// (always a page, never a 5xx), the CSP of pages that load the passkey script, and the second-factor
// rule for a passkey without user verification. The browser flows are in test/browser/hosted-passkeys.test.ts.
describeEachEngine('hosted passkeys and account page over HTTP (SPEC §7, §12)', (engine) => {
  let server: TestServer;
  let app: OAuthApp;
  let issuer: string;

  beforeAll(async () => {
    server = await startTestServer(engine, { LATCHKEY_ISSUER: 'http://localhost:0' });
    issuer = server.server.runtime.deps.issuer;
    app = await createOAuthApp(server, { isFirstParty: true });
  });
  afterAll(() => server?.close());

  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    server.request(path, { method: 'POST', body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, redirect: 'manual' });

  /** A hosted authorization session: its page path, the page, the browser's cookies and the page's CSRF token. */
  async function openPage(jar = '') {
    const { challenge } = pkce();
    const { mode: _mode, ...query } = standardQuery(app, challenge);
    const started = await initiate(server, query);
    const path = new URL(started.headers.get('location')!).pathname;
    const page = await server.request(path, { headers: jar ? { cookie: jar } : {}, redirect: 'manual' });
    const set = [...cookies(page).values()].map((line) => line.split(';')[0]);
    const body = await page.text();
    return { path, page, body, jar: [jar, ...set].filter(Boolean).join('; '), csrf: /name="csrf" value="([^"]+)"/.exec(body)?.[1] ?? '' };
  }

  /** A browser signed in with a password: its cookies, and the account page's CSRF token. */
  async function signedInBrowser(options: { phone?: string } = {}) {
    const user = await createPasswordUser(server, options);
    const { path, jar, csrf } = await openPage();
    let login = await post(`${path}/login`, { email: user.email, password: user.password, csrf }, { cookie: jar });
    if (options.phone) {
      // SPEC §12: the SMS second factor after the password.
      const pending = /name="pending" value="([^"]+)"/.exec(await login.text())![1]!;
      login = await post(`${path}/second-factor`, { pending, code: await latestCode(server, options.phone), csrf }, { cookie: jar });
    }
    expect(login.status).toBe(303);
    const browserJar = `${jar}; ${cookies(login).get('latchkey_session')!.split(';')[0]}`;
    const account = await server.request('/account', { headers: { cookie: browserJar } });
    expect(account.status).toBe(200);
    const body = await account.text();
    return { user, jar: browserJar, account, body, csrf: /name="csrf" value="([^"]+)"/.exec(body)![1]! };
  }

  /** Registers a passkey through the account page's endpoints, as its script does. */
  async function registerThroughAccount(browser: { jar: string; csrf: string }, soft: SoftAuthenticator, stepUp: Record<string, string> = {}) {
    const optionsResponse = await post('/account/passkeys/options', { csrf: browser.csrf }, { cookie: browser.jar });
    expect(optionsResponse.status).toBe(200);
    expect(optionsResponse.headers.get('cache-control')).toBe('no-store');
    const { options } = (await optionsResponse.json()) as { options: unknown };
    const credential = soft.register(options);
    const registered = await post('/account/passkeys', { csrf: browser.csrf, name: 'Key', credential: JSON.stringify(credential), ...stepUp }, { cookie: browser.jar });
    expect(registered.status).toBe(303);
    expect(registered.headers.get('location')).toBe('/account?done=passkey-added');
  }

  /** A passkey sign-in on a hosted page, as the login page's script does: options, then the form POST. */
  async function passkeySignIn(soft: SoftAuthenticator, userVerified: boolean) {
    const page = await openPage();
    const optionsResponse = await post(`${page.path}/passkey/options`, { csrf: page.csrf }, { cookie: page.jar });
    expect(optionsResponse.status).toBe(200);
    expect(optionsResponse.headers.get('cache-control')).toBe('no-store');
    const { options } = (await optionsResponse.json()) as { options: { allowCredentials?: unknown[] } };
    expect(options.allowCredentials ?? []).toEqual([]);
    const credential = soft.authenticate(options, { userVerified });
    return post(`${page.path}/passkey`, { csrf: page.csrf, email: '', password: '', credential: JSON.stringify(credential) }, { cookie: page.jar });
  }

  it('SPEC §7: only the login and account pages load the passkey script; their CSP adds script-src and connect-src \'self\' and nothing inline', async () => {
    const { page, body } = await openPage();
    expect(body).toContain('<script src="/assets/passkey.js" defer></script>');
    expect(body).toContain('autocomplete="username webauthn"');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'; connect-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const { account, body: accountBody } = await signedInBrowser();
    expect(accountBody).toContain('<script src="/assets/passkey.js" defer></script>');
    expect(account.headers.get('content-security-policy')).toContain("script-src 'self'; connect-src 'self';");
    expect(account.headers.get('cache-control')).toBe('no-store');
    expect(account.headers.get('x-frame-options')).toBe('DENY');
    // Pages without passkeys stay script-free.
    const notFound = await server.request('/oauth/authorize/azr_none');
    expect(notFound.headers.get('content-security-policy')).not.toContain('script-src');
    const script = await server.request('/assets/passkey.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain("mediation: 'conditional'");
  });

  it('RFC 9700 §4.7: the passkey endpoints of the login page refuse a missing token and a cross-site POST (403 page, nothing done)', async () => {
    const { path, jar, csrf } = await openPage();
    for (const form of ['passkey/options', 'passkey']) {
      const missing = await post(`${path}/${form}`, { credential: '{}' }, { cookie: jar });
      expect(missing.status, form).toBe(403);
      expect(missing.headers.get('content-type'), form).toMatch(/^text\/html/);
      expect((await post(`${path}/${form}`, { csrf, credential: '{}' }, { cookie: jar, 'sec-fetch-site': 'cross-site' })).status, form).toBe(403);
      expect((await post(`${path}/${form}`, { csrf, credential: '{}' }, { cookie: jar, origin: 'https://evil.example' })).status, form).toBe(403);
    }
  });

  it('RFC 9700 §4.7: every account form refuses a missing token, a cross-site POST and the token of another page', async () => {
    const browser = await signedInBrowser();
    const other = await openPage(browser.jar);
    const forms = ['passkeys/options', 'passkeys', 'sms-code', 'passkeys/pkey_x/rename', 'passkeys/pkey_x/remove', 'totp', 'totp/confirm', 'totp/remove', 'sign-out'];
    for (const form of forms) {
      const fields = { name: 'x', totpCode: '123456', code: '123456' };
      expect((await post(`/account/${form}`, fields, { cookie: browser.jar })).status, form).toBe(403);
      expect((await post(`/account/${form}`, { ...fields, csrf: browser.csrf }, { cookie: browser.jar, 'sec-fetch-site': 'cross-site' })).status, form).toBe(403);
      // The login page's token is bound to its authorization request, not to this account page.
      expect((await post(`/account/${form}`, { ...fields, csrf: other.csrf }, { cookie: browser.jar })).status, form).toBe(403);
    }
    // Still signed in: the sign-out form did nothing.
    expect((await server.request('/account', { headers: { cookie: browser.jar } })).status).toBe(200);
  });

  it('SPEC §7 / §12: the consent page links to the account page, which offers the way back to that authorization (a path of this server only) — also after a form', async () => {
    const browser = await signedInBrowser();
    const thirdParty = await createOAuthApp(server, { isFirstParty: false });
    const { mode: _mode, ...query } = standardQuery(thirdParty, pkce().challenge);
    const consentPath = new URL((await initiate(server, query)).headers.get('location')!).pathname;
    const consent = await (await server.request(consentPath, { headers: { cookie: browser.jar } })).text();
    expect(consent).toContain('wants to access your account');
    const link = `/account?continue=${encodeURIComponent(consentPath)}`;
    expect(consent).toContain(`href="${link.replace(/&/g, '&amp;')}"`);

    const account = await (await server.request(link, { headers: { cookie: browser.jar } })).text();
    expect(account).toContain(`<a class="button secondary" href="${consentPath}">Back to `);
    // Forms carry it, and the page after a form offers it again.
    expect(account).toContain(`action="/account/totp?continue=${encodeURIComponent(consentPath)}"`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(account)![1]!;
    const started = await post(`/account/totp?continue=${encodeURIComponent(consentPath)}`, { csrf }, { cookie: browser.jar });
    expect(started.status).toBe(303);
    expect(started.headers.get('location')).toBe(`/account?done=totp-started&continue=${encodeURIComponent(consentPath)}`);
    // Anything but a hosted authorization path of this server is dropped: no open redirect.
    for (const elsewhere of ['https://evil.example/', '//evil.example/oauth/authorize/x', '/oauth/authorize/x/../../admin', 'javascript:alert(1)']) {
      const page = await (await server.request(`/account?continue=${encodeURIComponent(elsewhere)}`, { headers: { cookie: browser.jar } })).text();
      expect(page, elsewhere).not.toContain('Back to ');
      expect(page, elsewhere).not.toContain('continue=');
    }
  });

  it('SPEC §7: the account page without a sign-in is a 401 page; wrong methods are 405/404 pages, never JSON', async () => {
    const anonymous = await server.request('/account');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toContain('You are not signed in');
    expect(anonymous.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(anonymous.headers.get('cache-control')).toBe('no-store');
    const expired = await server.request('/account', { headers: { cookie: 'latchkey_session=not-a-token' } });
    expect(expired.status).toBe(401);
    expect(cookies(expired).get('latchkey_session')).toMatch(/Max-Age=0/);

    const wrongMethod = await server.request('/account/totp');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(wrongMethod.headers.get('content-type')).toMatch(/^text\/html/);
    const deleteAccount = await server.request('/account', { method: 'DELETE' });
    expect(deleteAccount.status).toBe(405);
    expect(deleteAccount.headers.get('content-type')).toMatch(/^text\/html/);
    const { path } = await openPage();
    const getPasskey = await server.request(`${path}/passkey`);
    expect(getPasskey.status).toBe(404);
    expect(getPasskey.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('SPEC §3: bad input on the passkey and account forms → a 4xx page that says what to do, never a 5xx', async () => {
    const { path, jar, csrf } = await openPage();
    const bad: Array<{ form: Record<string, string>; text: string }> = [
      { form: { csrf, credential: 'not json' }, text: 'The passkey answer could not be read' },
      { form: { csrf, credential: JSON.stringify({ id: 'x', type: 'public-key' }) }, text: 'The passkey answer could not be read' },
      { form: { csrf }, text: 'The passkey answer could not be read' },
    ];
    for (const { form, text } of bad) {
      const response = await post(`${path}/passkey`, form, { cookie: jar });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain(text);
    }
    // A well-formed answer to a challenge never issued.
    const soft = new SoftAuthenticator({ origin: issuer });
    soft.register({ rp: { id: 'localhost' }, user: { id: 'dXNlcg' }, challenge: 'AAAA' });
    const stray = soft.authenticate({ rpId: 'localhost', challenge: Buffer.alloc(32).toString('base64url') });
    const refused = await post(`${path}/passkey`, { csrf, credential: JSON.stringify(stray) }, { cookie: jar });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('took too long or was already used');
    expect(cookies(refused).has('latchkey_session')).toBe(false);

    const browser = await signedInBrowser();
    const at = (form: string, fields: Record<string, string>) => post(`/account/${form}`, { csrf: browser.csrf, ...fields }, { cookie: browser.jar });
    const cases: Array<[string, Record<string, string>, number, string]> = [
      ['passkeys', { credential: '[]' }, 400, 'The passkey answer could not be read'],
      ['passkeys/pkey_unknown/rename', { name: 'New' }, 404, 'no such passkey'],
      ['passkeys/..%2Fx/rename', { name: 'New' }, 404, 'There is no such page here.'],
      ['passkeys/pkey_unknown/rename', { name: '   ' }, 400, 'Enter a name of 1 to 100 characters.'],
      ['passkeys/pkey_unknown/remove', {}, 404, 'no such passkey'],
      ['totp/confirm', { totpCode: 'abc' }, 400, 'Enter the 6-digit code your app shows.'],
      ['totp/confirm', { totpCode: '123456' }, 409, 'This setup changed meanwhile'],
      ['totp/remove', { code: '<script>' }, 400, 'Enter the 6-digit code your app shows, or a recovery code.'],
    ];
    for (const [form, fields, status, text] of cases) {
      const response = await at(form, fields);
      expect(response.status, form).toBe(status);
      expect(response.headers.get('content-type'), form).toMatch(/^text\/html/);
      expect(await response.text(), form).toContain(text);
    }
  });

  it('SPEC §12: a passkey registered on the account page signs in on the hosted page, with or without user verification when no second factor is set', async () => {
    const browser = await signedInBrowser();
    const soft = new SoftAuthenticator({ origin: issuer });
    await registerThroughAccount(browser, soft);
    const listed = await (await server.request('/account?done=passkey-added', { headers: { cookie: browser.jar } })).text();
    expect(listed).toContain('Your passkey was added.');
    expect(listed).toContain('<strong>Key</strong>');

    const verified = await passkeySignIn(soft, true);
    expect(verified.status).toBe(303);
    expect(cookies(verified).get('latchkey_session')).toMatch(/HttpOnly/);
    expect((await passkeySignIn(soft, false)).status).toBe(303);

    // Audited as the other sign-ins: the registration, each use (with UV), each login session.
    const { store } = server.server.runtime;
    const organizationId = (await store.getApplication(app.id))!.organizationId;
    const events = async (type: string) => (await store.listAuditEvents(organizationId, type)).filter((event) => event.data.consumerId === browser.user.id);
    expect(await events('passkey.registered')).toHaveLength(1);
    expect((await events('passkey.used')).map((event) => event.data.userVerified).sort()).toEqual([false, true]);
    expect((await events('login.succeeded')).length).toBe(3);
    // A refused one is audited too (the same credential again: its counter did not move).
    const page = await openPage();
    const { options } = (await (await post(`${page.path}/passkey/options`, { csrf: page.csrf }, { cookie: page.jar })).json()) as { options: unknown };
    const replayed = soft.authenticate(options, { counterStep: 0 });
    const refused = await post(`${page.path}/passkey`, { csrf: page.csrf, credential: JSON.stringify(replayed) }, { cookie: page.jar });
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain('That passkey was not accepted');
    expect((await events('passkey.sign_in_failed')).map((event) => event.data.reason)).toEqual(['stale_counter']);
  });

  it('SPEC §12: a passkey without user verification for a person with an SMS second factor → the second-factor page (no session); with UV → signed in', async () => {
    const phone = '+14155550123';
    const browser = await signedInBrowser({ phone });
    const soft = new SoftAuthenticator({ origin: issuer });
    // Step-up (SPEC §12): without the SMS code, adding a passkey is refused and nothing is added.
    const { options } = (await (await post('/account/passkeys/options', { csrf: browser.csrf }, { cookie: browser.jar })).json()) as { options: unknown };
    const other = new SoftAuthenticator({ origin: issuer });
    const refused = await post('/account/passkeys', { csrf: browser.csrf, name: 'Key', credential: JSON.stringify(other.register(options)) }, { cookie: browser.jar });
    expect(refused.status).toBe(403);
    const refusedPage = await refused.text();
    expect(refusedPage).toContain('Adding a passkey takes your second factor too');
    expect(refusedPage).toContain('You have no passkeys yet.');
    server.clock.advance(61);
    expect((await post('/account/sms-code', { csrf: browser.csrf }, { cookie: browser.jar })).headers.get('location')).toBe('/account?done=sms-sent');
    await registerThroughAccount(browser, soft, { stepUpCode: await latestCode(server, phone) });

    server.clock.advance(61);
    const withoutUv = await passkeySignIn(soft, false);
    expect(withoutUv.status).toBe(200);
    const page = await withoutUv.text();
    expect(page).toContain('Enter your code');
    expect(page).toContain('We sent a 6-digit code to +1•••23');
    expect(cookies(withoutUv).has('latchkey_session')).toBe(false);

    const withUv = await passkeySignIn(soft, true);
    expect(withUv.status).toBe(303);
    expect(cookies(withUv).has('latchkey_session')).toBe(true);
  });
});
