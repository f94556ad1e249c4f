import { mkdirSync } from 'node:fs';
import * as oauth from 'oauth4webapi';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCREENSHOTS, AXE_SOURCE, startCallbackServer, hasChromium, launchChromium } from '../helpers/browser.js';
import { describeEachEngine } from '../helpers/engines.js';
import { createOAuthApp, createPasswordUser, type OAuthApp } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { totp } from '../helpers/totp.js';
import { addVirtualAuthenticator } from '../helpers/virtual-authenticator.js';
import { SoftAuthenticator, type CeremonyOptions } from '../helpers/webauthn.js';



// SPEC §12 on the hosted pages, in Chromium with the DevTools protocol's virtual authenticator.
// WebAuthn wants an RP ID that is a domain: the issuer is http://localhost:<port> (a secure context).
describe.skipIf(!hasChromium())('hosted passkeys and authenticator app in Chromium', () => {
describeEachEngine('SPEC §12 hosted pages', (engine) => {
  let server: TestServer;
  let browser: Browser;
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;
  let app: OAuthApp;
  let as: oauth.AuthorizationServer;
  /** The issuer, http://localhost:<port>: the origin the browser uses (server.url names 127.0.0.1). */
  let issuerUrl: string;
  const insecure = { [oauth.allowInsecureRequests]: true } as const;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startTestServer(engine, { LATCHKEY_ISSUER: 'http://localhost:0' });
    callback = await startCallbackServer();
    // First-party: no consent page, so a sign-in lands on the callback.
    app = await createOAuthApp(server, { redirectUris: ['http://127.0.0.1/callback'], isFirstParty: true });
    issuerUrl = server.server.runtime.deps.issuer;
    const issuer = new URL(issuerUrl);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oauth2' }));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await callback?.close();
    await server?.close();
  });

  async function startClient() {
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const redirectUri = `http://127.0.0.1:${callback.port}/callback`;
    const url = new URL(as.authorization_endpoint!);
    for (const [name, value] of Object.entries({
      response_type: 'code', client_id: app.publishableKey, redirect_uri: redirectUri, scope: 'profile email', state,
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
    })) url.searchParams.set(name, value);
    return { url: url.href, codeVerifier, state, redirectUri };
  }

  /**
   * A page in a new browser context. Chromium's virtual authenticator answers a conditional-UI
   * request at once (no autofill menu to pick from), so the login page would sign in by itself;
   * `hasAutofill: false` makes the page see a browser without passkey autofill, to test the button.
   */
  async function newPage(options: { hasAutofill?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    if (options.hasAutofill === false) {
      await page.addInitScript(() => {
        (globalThis as any).PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
      });
    }
    page.setDefaultTimeout(10_000);
    if (process.env.DEBUG_PAGES) page.on('console', (message) => process.stderr.write(`console: ${message.text()}\n`));
    return page;
  }

  const onCallback = (page: Page) => page.waitForURL((url) => url.port === String(callback.port) && url.pathname === '/callback');

  /** axe-core on a copy of the page (CSP bypassed for axe only), at the page's own width; nothing wider than the screen. */
  async function checkAccessibility(page: Page, name: string): Promise<void> {
    const viewport = page.viewportSize()!;
    const context = await browser.newContext({ bypassCSP: true, viewport });
    const copy = await context.newPage();
    await copy.goto(page.url()).catch(() => undefined);
    await copy.setContent(await page.content(), { waitUntil: 'load' });
    await copy.addScriptTag({ content: AXE_SOURCE });
    const results = await copy.evaluate(async () => (globalThis as any).axe.run());
    const serious = results.violations.filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v: { id: string; help: string }) => `${v.id}: ${v.help}`), name).toEqual([]);
    expect(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth), `${name}: page width`).toBeLessThanOrEqual(viewport.width);
    await context.close();
  }

  /** axe at 1280 px and at 360 px: the same URL opened again in a narrow window (a GET page) or the page itself resized. */
  async function checkBothWidths(page: Page, name: string): Promise<void> {
    await checkAccessibility(page, `${name} at 1280 px`);
    const before = page.viewportSize()!;
    await page.setViewportSize({ width: 360, height: 800 });
    await checkAccessibility(page, `${name} at 360 px`);
    await page.setViewportSize(before);
  }

  async function signInWithPassword(page: Page, user: { email: string; password: string }): Promise<void> {
    const client = await startClient();
    await page.goto(client.url);
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await Promise.all([onCallback(page), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
  }

  async function openAccount(page: Page): Promise<void> {
    await page.goto(`${issuerUrl}/account`);
    await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
  }

  async function addPasskey(page: Page, name: string): Promise<void> {
    await page.getByLabel('Name for the new passkey').fill(name);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('status').filter({ hasText: 'Your passkey was added' }).waitFor();
  }

  /**
   * Routes the page's navigator.credentials.create/get to a software authenticator in the test
   * process (the options and the credential travel as JSON, as the page's script sends them).
   */
  async function useSoftAuthenticator(page: Page, soft: SoftAuthenticator, ceremony: () => CeremonyOptions): Promise<void> {
    await page.exposeFunction('softCreate', (options: unknown) => soft.register(options, ceremony()));
    await page.exposeFunction('softGet', (options: unknown) => soft.authenticate(options, ceremony()));
    await page.addInitScript(() => {
      const w = globalThis as any;
      w.PublicKeyCredential.parseCreationOptionsFromJSON = (json: unknown) => json;
      w.PublicKeyCredential.parseRequestOptionsFromJSON = (json: unknown) => json;
      w.navigator.credentials.create = async ({ publicKey }: any) => ((answer) => ({ toJSON: () => answer }))(await w.softCreate(publicKey));
      w.navigator.credentials.get = async ({ publicKey }: any) => ((answer) => ({ toJSON: () => answer }))(await w.softGet(publicKey));
    });
  }

  /** Ends the browser's sign-in as a person would lose it: the session cookie goes. */
  const forgetSignIn = (page: Page) => page.context().clearCookies({ name: 'latchkey_session' });

  /** The client redeems the code at the token endpoint and reads /v1/user with the access token. */
  async function redeem(page: Page, client: Awaited<ReturnType<typeof startClient>>) {
    const params = oauth.validateAuthResponse(as, { client_id: app.publishableKey }, new URL(page.url()), client.state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as, { client_id: app.publishableKey },
      await oauth.authorizationCodeGrantRequest(as, { client_id: app.publishableKey }, oauth.ClientSecretBasic(app.secretKey), params, client.redirectUri, client.codeVerifier, insecure),
    );
    return (await (await fetch(`${server.url}/v1/user`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as { id: string };
  }

  it('SPEC §12: sign in with a password, add a passkey on the account page, sign out, sign in with the passkey; the code is redeemed', async () => {
    const user = await createPasswordUser(server);
    const page = await newPage({ hasAutofill: false });
    const authenticator = await addVirtualAuthenticator(page, { isUserVerified: true });

    // The login page: the passkey button is shown by the script; the email field takes passkey autofill.
    const first = await startClient();
    await page.goto(first.url);
    expect(await page.getByLabel('Email', { exact: true }).getAttribute('autocomplete')).toBe('username webauthn');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
    await checkBothWidths(page, 'login with passkey button');
    await page.screenshot({ path: new URL('login-passkey.png', SCREENSHOTS).pathname, fullPage: true });
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await Promise.all([onCallback(page), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);

    await openAccount(page);
    expect(await page.locator('main').innerText()).toContain('You have no passkeys yet.');
    await checkBothWidths(page, 'account without passkeys');
    await addPasskey(page, 'Laptop');
    expect(await page.locator('main').innerText()).toContain('Laptop');
    await checkBothWidths(page, 'account with a passkey');
    await page.screenshot({ path: new URL('account-passkey.png', SCREENSHOTS).pathname, fullPage: true });
    expect(await authenticator.credentials()).toHaveLength(1);

    // Rename, through the plain form.
    await page.getByLabel('New name for Laptop').fill('Work laptop');
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('status').filter({ hasText: 'The passkey was renamed.' }).waitFor();
    expect(await page.getByLabel('New name for Work laptop').inputValue()).toBe('Work laptop');

    // Sign out on the account page: the sign-in ends, the account page says so.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await checkBothWidths(page, 'signed out');
    await page.goto(`${issuerUrl}/account`);
    expect(await page.textContent('h1')).toBe('You are not signed in');

    // The passkey button on the hosted login page, to the client's callback with a code it redeems.
    const client = await startClient();
    await page.goto(client.url);
    await Promise.all([onCallback(page), page.getByRole('button', { name: 'Sign in with a passkey' }).click()]);
    expect((await redeem(page, client)).id).toBe(user.id);
    await page.context().close();
  }, 120_000);

  it('WebAuthn L3 §7.2 step 21: a cloned credential with a stale sign counter is refused on the hosted page', async () => {
    const user = await createPasswordUser(server);
    const page = await newPage({ hasAutofill: false });
    const original = await addVirtualAuthenticator(page, { isUserVerified: true });
    await signInWithPassword(page, user);
    await openAccount(page);
    await addPasskey(page, 'Phone');
    const [copied] = await original.credentials();
    await forgetSignIn(page);

    // The genuine authenticator signs in first: the stored counter moves past the copy's.
    const genuine = await startClient();
    await page.goto(genuine.url);
    await Promise.all([onCallback(page), page.getByRole('button', { name: 'Sign in with a passkey' }).click()]);
    await forgetSignIn(page);

    await original.remove();
    const clone = await addVirtualAuthenticator(page, { isUserVerified: true });
    await clone.addCredential({ ...copied!, signCount: copied!.signCount });
    const client = await startClient();
    await page.goto(client.url);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('alert').filter({ hasText: 'That passkey was not accepted' }).waitFor();
    expect(new URL(page.url()).port).not.toBe(String(callback.port));
    await checkBothWidths(page, 'passkey refused');
    await page.context().close();
  }, 120_000);

  it('SPEC §12: authenticator app set up on the account page (QR code, first code, recovery codes shown once); a passkey without user verification then asks for its code; a recovery code works once', async () => {
    const user = await createPasswordUser(server);
    const page = await newPage({ hasAutofill: false });
    // A security key that does not verify the person (UV=0). Chromium refuses a discoverable
    // request to a virtual authenticator without user verification (NotAllowedError), so the page's
    // WebAuthn calls go to the software authenticator of test/helpers/webauthn.ts here; the page's
    // script, forms and the server are the real ones.
    let isUserVerified = false;
    await useSoftAuthenticator(page, new SoftAuthenticator({ origin: issuerUrl }), () => ({ userVerified: isUserVerified }));
    await signInWithPassword(page, user);
    await openAccount(page);
    await addPasskey(page, 'Tablet');

    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await page.getByRole('img', { name: /QR code/ }).waitFor();
    expect(await page.locator('.qr svg path').count()).toBeGreaterThan(0);
    const secret = (await page.locator('#totp-secret').innerText()).trim();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await checkBothWidths(page, 'authenticator app setup');
    await page.setViewportSize({ width: 360, height: 800 });
    await page.screenshot({ path: new URL('account-totp-setup-360.png', SCREENSHOTS).pathname, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });

    // A wrong code: the same secret is shown again (the app may have it already).
    await page.getByLabel('Code from your authenticator app').fill(totp(secret, server.clock.now(), 10));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('alert').filter({ hasText: 'That code is not right' }).waitFor();
    expect((await page.locator('#totp-secret').innerText()).trim()).toBe(secret);
    await checkBothWidths(page, 'authenticator app setup with an error');

    // The first right code (independent RFC 6238 implementation) turns it on: ten codes, this once.
    await page.getByLabel('Code from your authenticator app').fill(totp(secret, server.clock.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    const codes = (await page.locator('#recovery-codes li').allInnerTexts()).map((code) => code.trim());
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await checkBothWidths(page, 'recovery codes');
    await page.getByRole('link', { name: 'I saved them' }).click();
    await page.getByText('10 of 10 recovery codes left.').waitFor();
    expect(await page.content()).not.toContain(codes[0]);
    await checkBothWidths(page, 'account with the authenticator app on');

    // Step-up (SPEC §12): with the app on, adding another passkey takes its code too.
    server.clock.advance(30);
    await page.getByLabel('Authenticator app code or recovery code, to add a passkey').fill(totp(secret, server.clock.now()));
    await addPasskey(page, 'Phone');

    // Passkey without user verification → the second-factor page → the app's code completes.
    await forgetSignIn(page);
    server.clock.advance(30);
    const client = await startClient();
    await page.goto(client.url);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('heading', { name: 'Enter your code' }).waitFor();
    await checkBothWidths(page, 'second factor after a passkey');
    await page.getByLabel('Code from your authenticator app').fill(totp(secret, server.clock.now()));
    await Promise.all([onCallback(page), page.getByRole('button', { name: 'Continue' }).click()]);
    expect((await redeem(page, client)).id).toBe(user.id);

    // A recovery code works once.
    for (const expected of ['callback', 'refused'] as const) {
      await forgetSignIn(page);
      await page.goto((await startClient()).url);
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.getByRole('heading', { name: 'Enter your code' }).waitFor();
      await page.getByText('Use a recovery code').click();
      await page.getByLabel('Recovery code').fill(codes[0]!);
      if (expected === 'callback') {
        await Promise.all([onCallback(page), page.getByRole('button', { name: 'Continue' }).click()]);
      } else {
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.getByRole('alert').filter({ hasText: 'That code is not right.' }).waitFor();
      }
    }

    // With user verification the passkey is both factors: no code asked.
    await forgetSignIn(page);
    isUserVerified = true;
    await page.goto((await startClient()).url);
    await Promise.all([onCallback(page), page.getByRole('button', { name: 'Sign in with a passkey' }).click()]);

    // Removal takes a code; then the passkey is removed too.
    await openAccount(page);
    expect(await page.locator('main').innerText()).toContain('9 of 10 recovery codes left.');
    server.clock.advance(30);
    await page.getByLabel('Code from your authenticator app, or a recovery code').fill(totp(secret, server.clock.now()));
    await page.getByRole('button', { name: 'Remove the authenticator app' }).click();
    await page.getByRole('status').filter({ hasText: 'The authenticator app was removed.' }).waitFor();
    await page.getByRole('button', { name: 'Remove Tablet' }).click();
    await page.getByRole('status').filter({ hasText: 'The passkey was removed.' }).waitFor();
    expect(await page.locator('main').innerText()).not.toContain('Tablet');
    expect(await page.locator('main').innerText()).toContain('Phone');
    await page.context().close();
  }, 120_000);

  it('SPEC §7: without script the login page is the password and email-code page it was; the passkey button stays hidden', async () => {
    const user = await createPasswordUser(server);
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 360, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto((await startClient()).url);
    expect(await page.getByRole('button', { name: 'Sign in with a passkey' }).isVisible()).toBe(false);
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await Promise.all([onCallback(page), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    await context.close();
  }, 120_000);

  it('SPEC §12 conditional UI: the email field is marked for passkey autofill; the script\'s conditional request signs in with no click', async () => {
    const user = await createPasswordUser(server);
    const page = await newPage();
    await addVirtualAuthenticator(page, { isUserVerified: true });
    await signInWithPassword(page, user);
    await openAccount(page);
    expect(await page.evaluate(() => (globalThis as any).PublicKeyCredential.isConditionalMediationAvailable())).toBe(true);
    await addPasskey(page, 'Desktop');
    await forgetSignIn(page);

    // The login page starts `navigator.credentials.get({ mediation: 'conditional' })` at load; the
    // virtual authenticator answers it as a person picking the passkey from the autofill menu would.
    const client = await startClient();
    await Promise.all([onCallback(page), page.goto(client.url)]);
    expect((await redeem(page, client)).id).toBe(user.id);
    await page.context().close();
  }, 120_000);
});
});
