import { mkdirSync } from 'node:fs';
import * as oauth from 'oauth4webapi';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../helpers/engines.js';
import { createOrganization } from '../../src/flows/bootstrap.js';
import { setOrganizationBranding } from '../../src/flows/branding.js';
import { SCREENSHOTS, AXE_SOURCE, startCallbackServer, hasChromium, launchChromium } from '../helpers/browser.js';
import { createOAuthApp, createPasswordUser, type OAuthApp } from '../helpers/oauth.js';
import { latestCode } from '../helpers/otp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';



// Both engines (issue 13): the browser flow is the one path that exercises every hosted write together.
describe.skipIf(!hasChromium())('hosted pages in Chromium', () => {
describeEachEngine('SPEC §7', (engine) => {
  let server: TestServer;
  let browser: Browser;
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;
  let app: OAuthApp;
  let as: oauth.AuthorizationServer;
  const insecure = { [oauth.allowInsecureRequests]: true } as const;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startTestServer(engine);
    callback = await startCallbackServer();
    app = await createOAuthApp(server, { redirectUris: ['http://127.0.0.1/callback'], scopes: ['openid', 'profile', 'email'] });
    const issuer = new URL(server.url);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oauth2' }));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await callback?.close();
    await server?.close();
  });

  /** The local test client: an authorization URL built from discovery alone (hosted mode, the default). */
  async function startClient(scope = 'profile email', client: OAuthApp = app) {
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const redirectUri = `http://127.0.0.1:${callback.port}/callback`;
    const url = new URL(as.authorization_endpoint!);
    for (const [name, value] of Object.entries({
      response_type: 'code', client_id: client.publishableKey, redirect_uri: redirectUri, scope, state,
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
    })) url.searchParams.set(name, value);
    return { url: url.href, codeVerifier, state, redirectUri };
  }

  async function newPage(width = 1280): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    return context.newPage();
  }

  const onCallback = (page: Page) => page.waitForURL((url) => url.port === String(callback.port) && url.pathname === '/callback');

  async function checkAccessibility(page: Page, name: string): Promise<void> {
    // axe runs as a script; a separate page with the same HTML but CSP bypassed, so the real page's
    // strict policy stays as it is.
    // SPEC §7 "readable at 360 px": the copy has the page's own viewport, so a page opened 360 px
    // wide is checked at 360 px (axe's colour-contrast and target checks depend on the layout)…
    const viewport = page.viewportSize()!;
    const context = await browser.newContext({ bypassCSP: true, viewport });
    const copy = await context.newPage();
    await copy.goto(page.url()).catch(() => undefined);
    await copy.setContent(await page.content(), { waitUntil: 'load' });
    await copy.addScriptTag({ content: AXE_SOURCE });
    const results = await copy.evaluate(async () => (globalThis as any).axe.run());
    const serious = results.violations.filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v: { id: string; help: string }) => `${v.id}: ${v.help}`), name).toEqual([]);
    expect(await copy.evaluate(() => (globalThis as any).innerWidth), name).toBe(viewport.width);
    // …and nothing is wider than the screen: no sideways scrolling to read or reach a field.
    expect(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth), `${name}: page width`).toBeLessThanOrEqual(viewport.width);
    await context.close();
  }

  it('sign in with a password, approve consent, land on the callback; the client redeems the code and reads /v1/user', async () => {
    const user = await createPasswordUser(server);
    const client = await startClient();
    const page = await newPage();
    await page.goto(client.url);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in to continue to OAuth client');
    expect(await page.title()).toContain('Sign in');
    // Issue 11.16: the name once, one email field, no organization slug in the footer.
    expect((await page.locator('body').innerText()).split('OAuth client').length - 1).toBe(1);
    expect(await page.locator('input[type=email]').count()).toBe(1);
    expect(await page.locator('footer').innerText()).toBe('Secured by Latchkey');
    await page.screenshot({ path: new URL('login-desktop.png', SCREENSHOTS).pathname, fullPage: true });
    await page.locator('main').screenshot({ path: new URL('login-card.png', SCREENSHOTS).pathname });
    await checkAccessibility(page, 'login');

    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    expect(await page.textContent('h1')).toContain('wants to access your account');
    expect(await page.textContent('ul.scopes')).toContain('See your email address');
    await page.screenshot({ path: new URL('consent-desktop.png', SCREENSHOTS).pathname, fullPage: true });
    await checkAccessibility(page, 'consent');

    await Promise.all([onCallback(page), page.getByRole('button', { name: 'Allow' }).click()]);
    const params = oauth.validateAuthResponse(as, { client_id: app.publishableKey }, new URL(page.url()), client.state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as, { client_id: app.publishableKey },
      await oauth.authorizationCodeGrantRequest(as, { client_id: app.publishableKey }, oauth.ClientSecretBasic(app.secretKey), params, client.redirectUri, client.codeVerifier, insecure),
    );
    const me = await fetch(`${server.url}/v1/user`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(await me.json()).toMatchObject({ id: user.id, email: user.email });

    // Consent is remembered: the next sign-in from this browser goes straight back to the app.
    const again = await startClient();
    await Promise.all([onCallback(page), page.goto(again.url)]);
    expect(new URL(page.url()).searchParams.get('code')).toMatch(/^ac_/);
    await page.context().close();
  });

  it('deny → back at the app with error=access_denied and the state', async () => {
    const user = await createPasswordUser(server);
    const client = await startClient();
    const page = await newPage();
    await page.goto(client.url);
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await Promise.all([onCallback(page), page.getByRole('button', { name: 'Deny' }).click()]);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('error')).toBe('access_denied');
    expect(landed.searchParams.get('state')).toBe(client.state);
    expect(landed.searchParams.get('iss')).toBe(server.url);
    await page.context().close();
  });

  it('a wrong password shows an error on the page and goes nowhere', async () => {
    const user = await createPasswordUser(server);
    const client = await startClient();
    const page = await newPage();
    await page.goto(client.url);
    const loginUrl = page.url();
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('Wrong email or password');
    await checkAccessibility(page, 'login with an error');
    expect(new URL(page.url()).pathname).toBe(`${new URL(loginUrl).pathname}/login`);
    expect(new URL(page.url()).port).not.toBe(String(callback.port));
    await page.context().close();
  });

  it('sign in by email code read from the development outbox (360 px wide)', async () => {
    const client = await startClient('profile');
    const page = await newPage(360);
    await page.goto(client.url);
    await page.screenshot({ path: new URL('login-360.png', SCREENSHOTS).pathname, fullPage: true });
    await page.getByLabel('Email', { exact: true }).fill('browser-otp@example.com');
    await page.getByRole('button', { name: 'Email me a sign-in code' }).click();
    await page.getByLabel('Code').waitFor();
    await checkAccessibility(page, 'email code entry');
    await page.getByLabel('Code').fill(await latestCode(server, 'browser-otp@example.com'));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    await page.screenshot({ path: new URL('consent-360.png', SCREENSHOTS).pathname, fullPage: true });
    await Promise.all([onCallback(page), page.getByRole('button', { name: 'Allow' }).click()]);
    expect(new URL(page.url()).searchParams.get('code')).toMatch(/^ac_/);
    await page.context().close();
  });

  it('issue 11.16: the keyboard alone signs in — Tab from email to password, Enter presses "Sign in"', async () => {
    const user = await createPasswordUser(server);
    const client = await startClient();
    const page = await newPage();
    await page.goto(client.url);
    await page.getByLabel('Email', { exact: true }).focus();
    await page.keyboard.type(user.email);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as any).document.activeElement.id)).toBe('password');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    await page.context().close();
  });

  it('SPEC §7: at 360 px, axe finds nothing serious and the keyboard alone (Tab, Enter) signs in and consents, every stop visibly focused', async () => {
    const user = await createPasswordUser(server);
    const client = await startClient();
    const page = await newPage(360);
    await page.goto(client.url);
    await checkAccessibility(page, 'login at 360 px');

    /** The focused element, and whether it shows a focus ring a person can see. */
    const focused = () => page.evaluate(() => {
      const element = (globalThis as any).document.activeElement;
      const style = (globalThis as any).getComputedStyle(element);
      return {
        id: element.id as string, tag: element.tagName as string, text: (element.textContent as string).trim(),
        ring: element.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
      };
    });
    /** Tabs until `target` holds the focus, checking each stop on the way has a visible focus ring. */
    async function tabTo(target: (f: Awaited<ReturnType<typeof focused>>) => boolean, name: string) {
      for (let stops = 0; stops < 15; stops++) {
        await page.keyboard.press('Tab');
        const now = await focused();
        if (now.tag !== 'BODY') expect(now, `focus ring on ${now.tag}#${now.id} ${now.text}`).toMatchObject({ ring: true });
        if (target(now)) return;
      }
      throw new Error(`Tab never reached ${name}`);
    }

    await tabTo((f) => f.id === 'email', 'the email field');
    await page.keyboard.type(user.email);
    await tabTo((f) => f.id === 'password', 'the password field');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    await checkAccessibility(page, 'consent at 360 px');
    await tabTo((f) => f.tag === 'BUTTON' && f.text === 'Allow', 'the Allow button');
    await Promise.all([onCallback(page), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).searchParams.get('code')).toMatch(/^ac_/);
    await page.context().close();
  });

  it('issue 11.16: "Sign in" with the password left empty → an error on the page, the email kept', async () => {
    const user = await createPasswordUser(server);
    const client = await startClient();
    const page = await newPage();
    await page.goto(client.url);
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('Enter your password, or get a sign-in code by email.');
    expect(await page.getByLabel('Email', { exact: true }).inputValue()).toBe(user.email);
    await checkAccessibility(page, 'login without a password');
    await page.context().close();
  });

  it('issue 11.16: the footer names the organization by its display name', async () => {
    const { deps } = server.server.runtime;
    const organization = await createOrganization(deps, 'northwind');
    await setOrganizationBranding(deps, organization.id, { displayName: 'Northwind Traders', logoUrl: null, accentColor: null });
    const own = await createOAuthApp(server, { organizationId: organization.id, redirectUris: ['http://127.0.0.1/callback'] });
    const client = await startClient('profile', own);
    const page = await newPage();
    await page.goto(client.url);
    expect(await page.locator('footer').innerText()).toBe('Secured by Latchkey for Northwind Traders');
    await page.context().close();
  });

  it('a user with an SMS second factor enters the texted code after the password, then consents', async () => {
    const phone = '+14155550142';
    const user = await createPasswordUser(server, { phone });
    const client = await startClient();
    const page = await newPage(360);
    await page.goto(client.url);
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByLabel('Code').waitFor();
    expect(await page.textContent('main')).toContain('We sent a 6-digit code');
    await checkAccessibility(page, 'SMS code entry');
    await page.getByLabel('Code').fill(await latestCode(server, phone));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    await Promise.all([onCallback(page), page.getByRole('button', { name: 'Allow' }).click()]);
    expect(new URL(page.url()).searchParams.get('code')).toMatch(/^ac_/);
    await page.context().close();
  });

  it('an expired authorization session shows a clear page with a way back to the app', async () => {
    const client = await startClient();
    const page = await newPage();
    await page.goto(client.url);
    server.clock.advance(601);
    await page.reload();
    expect(await page.textContent('h1')).toBe('This sign-in has expired');
    await checkAccessibility(page, 'expired');
    await Promise.all([onCallback(page), page.getByRole('link', { name: /Back to/ }).click()]);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('error')).toBe('access_denied');
    expect(landed.searchParams.get('state')).toBe(client.state);
    await page.context().close();
  });
});
});
