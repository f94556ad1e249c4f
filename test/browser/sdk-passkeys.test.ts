import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, normalize } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApplication } from '../../src/flows/applications.js';
import { hasChromium, launchChromium } from '../helpers/browser.js';
import { latestCode } from '../helpers/otp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { totp } from '../helpers/totp.js';
import { addVirtualAuthenticator, type VirtualAuthenticator } from '../helpers/virtual-authenticator.js';

const DIST_SDK = new URL('../../dist/sdk/', import.meta.url);

/**
 * The app's page: the built `latchkey/client` from dist/ (what the package ships), a username field
 * for conditional UI, and `attempt()`, which turns a rejection into what a test can compare.
 * `?fallback` removes the browser's WebAuthn JSON helpers (parse…OptionsFromJSON, toJSON), so the
 * library's own conversion runs; `?nowebauthn` removes WebAuthn altogether.
 */
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>latchkey/client passkeys</title></head>
<body>
<label>Email <input id="username" name="username" autocomplete="username webauthn"></label>
<script type="module">
  const query = new URLSearchParams(location.search);
  if (query.has('fallback')) {
    delete PublicKeyCredential.parseRequestOptionsFromJSON;
    delete PublicKeyCredential.parseCreationOptionsFromJSON;
    delete PublicKeyCredential.prototype.toJSON;
  }
  if (query.has('nowebauthn')) delete window.PublicKeyCredential;
  const sdk = await import('/sdk/client/index.js');
  const config = await (await fetch('/config.json')).json();
  window.sdk = sdk;
  window.latchkey = sdk.createLatchkey({ baseUrl: config.baseUrl, publishableKey: config.publishableKey });
  window.attempt = async (promise) => {
    try {
      return { ok: true, value: await promise };
    } catch (error) {
      return { ok: false, name: error.name, code: error.code, status: error.status, isLatchkeyError: error instanceof sdk.LatchkeyError };
    }
  };
  window.ready = true;
</script>
</body></html>`;

/** The app's own origin, on http://localhost (WebAuthn needs an RP ID that is a domain; localhost is a secure context). */
async function startAppServer(config: () => object): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://app');
    if (url.pathname === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    if (url.pathname === '/config.json') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(config()));
    const file = normalize(url.pathname.replace(/^\/sdk\//, ''));
    if (!url.pathname.startsWith('/sdk/') || file.startsWith('..') || extname(file) !== '.js') return void res.writeHead(404).end();
    try {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(new URL(file, DIST_SDK)));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://localhost:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

type Attempt<T = any> = { ok: true; value: T } | { ok: false; name: string; code?: string; status?: number; isLatchkeyError: boolean };

// One engine: what is under test is the browser client; the server's passkey and TOTP flows are
// covered on both engines by test/passkeys.test.ts, test/totp*.test.ts and test/second-factor.test.ts.
describe.skipIf(!hasChromium())('latchkey/client passkeys and second factors in Chromium (SPEC §11, §12)', () => {
  let server: TestServer;
  let app: { origin: string; close(): Promise<void> };
  let browser: Browser;
  let baseUrl = '';
  let publishableKey = '';

  beforeAll(async () => {
    // The issuer on localhost (its port the one bound): the RP ID is then `localhost`.
    server = await startTestServer('sqlite', { LATCHKEY_ISSUER: 'http://localhost:0' });
    baseUrl = `http://localhost:${new URL(server.url).port}`;
    expect(server.server.runtime.deps.issuer).toBe(baseUrl);
    app = await startAppServer(() => ({ baseUrl, publishableKey }));
    // The page is on another origin than the issuer's: the application lists it for CORS and for passkeys.
    const { application } = await createApplication(server.server.runtime.deps, {
      organizationId: server.server.demo!.application.organizationId, name: 'SPA with passkeys', type: 'confidential', environment: 'test',
      allowedOrigins: [app.origin], passkeyOrigins: [app.origin],
    });
    publishableKey = application.publishableKey;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await server?.close();
  });

  async function openPage(context: BrowserContext, query = ''): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
    await page.goto(`${app.origin}/${query}`);
    await page.waitForFunction(() => (window as any).ready === true);
    return page;
  }

  /** Runs `latchkey.<call>` in the page; a rejection comes back as its name, code and status. */
  function call<T = any>(page: Page, body: string, arg?: unknown): Promise<Attempt<T>> {
    return page.evaluate(({ body, arg }) => (window as any).attempt(new Function('latchkey', 'arg', `return ${body}`)((window as any).latchkey, arg)), { body, arg });
  }
  async function ok<T = any>(page: Page, body: string, arg?: unknown): Promise<T> {
    const result = await call<T>(page, body, arg);
    if (!result.ok) throw new Error(`${body}: ${result.name} ${result.code ?? ''}`);
    return result.value;
  }

  /** SPEC §5.4 through the library: the code is read from the development outbox. */
  async function otpSignIn(page: Page, email: string) {
    await ok(page, 'latchkey.otp.request({ email: arg })', email);
    const result = await ok(page, 'latchkey.otp.verify(arg)', { email, code: await latestCode(server, email) });
    expect(result.status).toBe('signed_in');
    return result.session;
  }

  /** A code of the person's authenticator app, counted on the server's clock: each call moves 30 s on, so no code is a replay. */
  function nextTotpCode(secret: string): string {
    server.clock.advance(30);
    return totp(secret, server.clock.now());
  }

  /** A 6-digit code that is none of the codes the server accepts now (±1 step). */
  function wrongTotpCode(secret: string): string {
    const valid = [-1, 0, 1].map((step) => totp(secret, server.clock.now(), step));
    return ['000000', '111111', '222222'].find((code) => !valid.includes(code))!;
  }

  /**
   * The authenticator stops verifying the person: a passkey used without user verification (UV=0).
   * Chromium's virtual authenticator with `isUserVerified: false` fails a ceremony that prefers
   * user verification (NotAllowedError: a failed fingerprint, not a skipped one), so the page's
   * requests also say `userVerification: 'discouraged'`, and the authenticator then signs without it.
   */
  async function withoutUserVerification(page: Page, authenticator: VirtualAuthenticator) {
    await authenticator.setUserVerified(false);
    await page.evaluate(() => {
      const get = navigator.credentials.get.bind(navigator.credentials);
      navigator.credentials.get = (options?: CredentialRequestOptions) => get({ ...options, publicKey: { ...options!.publicKey!, userVerification: 'discouraged' } });
    });
  }

  /** A person signed in by email who has a passkey (made with user verification) and, optionally, an authenticator app. */
  async function personWithPasskey(page: Page, email: string, withTotp: boolean) {
    const session = await otpSignIn(page, email);
    let secret = '';
    let recoveryCodes: string[] = [];
    if (withTotp) {
      ({ secret } = await ok(page, 'latchkey.totp.enroll()'));
      ({ recoveryCodes } = await ok(page, 'latchkey.totp.confirm(arg)', nextTotpCode(secret)));
      expect(recoveryCodes).toHaveLength(10);
    }
    // SPEC §12: a person with a second factor proves it to register a passkey (else StepUpRequired).
    if (withTotp) expect(await call(page, 'latchkey.passkey.register({ name: "Laptop" })')).toMatchObject({ ok: false, name: 'StepUpRequired', status: 403 });
    const passkey = withTotp
      ? await ok(page, 'latchkey.passkey.register({ name: "Laptop", totpCode: arg })', nextTotpCode(secret))
      : await ok(page, 'latchkey.passkey.register({ name: "Laptop" })');
    await ok(page, 'latchkey.logout()');
    return { consumerId: session.consumerId as string, passkey, secret, recoveryCodes };
  }

  it('SPEC §12: OTP sign-in → register a passkey → sign out → sign in with it; list, rename, remove; a guest is linked', async () => {
    const context = await browser.newContext();
    const page = await openPage(context);
    const authenticator = await addVirtualAuthenticator(page);
    expect(await ok(page, 'latchkey.passkey.isAvailable()')).toBe(true);

    const session = await otpSignIn(page, 'pat@example.com');
    const passkey = await ok(page, 'latchkey.passkey.register({ name: "Laptop" })');
    expect(passkey).toMatchObject({ id: expect.any(String), name: 'Laptop', lastUsedAt: null });
    // The authenticator holds a discoverable credential for the RP ID `localhost`, the one registered.
    const [credential] = await authenticator.credentials();
    expect(credential).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    expect(Buffer.from(credential!.credentialId, 'base64').toString('base64url')).toBe(passkey.credentialId);

    await ok(page, 'latchkey.logout()');
    expect(await ok(page, 'latchkey.getSession()')).toBeNull();
    const signedIn = await ok(page, 'latchkey.passkey.signIn()');
    expect(signedIn).toMatchObject({ status: 'signed_in', session: { type: 'authenticated', consumerId: session.consumerId } });
    // The session works: /consumers/me with its access token.
    expect((await ok(page, 'latchkey.me()')).id).toBe(session.consumerId);

    const [listed] = await ok(page, 'latchkey.passkey.list()');
    expect(listed).toMatchObject({ id: passkey.id, name: 'Laptop', lastUsedAt: expect.any(String) });
    expect(await ok(page, 'latchkey.passkey.rename(arg, "Work laptop")', passkey.id)).toMatchObject({ id: passkey.id, name: 'Work laptop' });
    expect((await ok(page, 'latchkey.passkey.list()')).map((p: any) => p.name)).toEqual(['Work laptop']);
    expect(await call(page, 'latchkey.passkey.rename(arg, "  ")', passkey.id)).toMatchObject({ ok: false, name: 'ValidationError', status: 400 });
    // The account calls go through the library's token handling: an access token the server holds
    // expired (its clock two hours on) is refreshed once and the call retried.
    const before = await page.evaluate(() => (window as any).latchkey.getAccessToken());
    server.clock.advance(2 * 3600);
    expect(await ok(page, 'latchkey.passkey.list()')).toHaveLength(1);
    expect(await page.evaluate(() => (window as any).latchkey.getAccessToken())).not.toBe(before);

    // SPEC §5.4: a guest session in this tab is linked to the passkey's person.
    await ok(page, 'latchkey.logout()');
    const guest = await ok(page, 'latchkey.guest()');
    expect(await ok(page, 'latchkey.passkey.signIn()')).toMatchObject({ status: 'signed_in', session: { consumerId: session.consumerId, guestId: guest.consumerId } });

    expect(await ok(page, 'latchkey.passkey.remove(arg)', passkey.id)).toBeUndefined();
    expect(await ok(page, 'latchkey.passkey.list()')).toEqual([]);
    expect(await call(page, 'latchkey.passkey.remove(arg)', passkey.id)).toMatchObject({ ok: false, name: 'NotFound', code: 'not_found', status: 404 });
    // The authenticator still offers the credential; the server no longer knows it.
    await ok(page, 'latchkey.logout()');
    expect(await call(page, 'latchkey.passkey.signIn()')).toMatchObject({ ok: false, name: 'PasskeyInvalid', code: 'passkey_invalid', status: 401, isLatchkeyError: true });
    // Registering needs a signed-in person.
    expect(await call(page, 'latchkey.passkey.register()')).toMatchObject({ ok: false, name: 'AuthenticationRequired', status: 401 });
    await context.close();
  });

  it('SPEC §12: a passkey without user verification and an authenticator app → second_factor_required; a wrong code is TotpInvalid; the right one signs in', async () => {
    const context = await browser.newContext();
    const page = await openPage(context);
    const authenticator = await addVirtualAuthenticator(page);
    const person = await personWithPasskey(page, 'tess@example.com', true);
    expect(await call(page, 'latchkey.secondFactor.list()')).toMatchObject({ ok: false, name: 'AuthenticationRequired' });

    await withoutUserVerification(page, authenticator);
    const pending = await ok(page, 'latchkey.passkey.signIn()');
    expect(pending).toMatchObject({ status: 'second_factor_required', secondFactor: 'totp', secondFactors: ['totp'], secondFactorToken: expect.any(String) });
    expect(pending.phoneNumber).toBeUndefined();
    expect(await ok(page, 'latchkey.getSession()')).toBeNull();

    const wrong = await call(page, 'latchkey.secondFactor.verify(arg)', { secondFactorToken: pending.secondFactorToken, totpCode: wrongTotpCode(person.secret) });
    expect(wrong).toMatchObject({ ok: false, name: 'TotpInvalid', code: 'totp_invalid', status: 401, isLatchkeyError: true });
    const session = await ok(page, 'latchkey.secondFactor.verify(arg)', { secondFactorToken: pending.secondFactorToken, totpCode: nextTotpCode(person.secret) });
    expect(session).toMatchObject({ type: 'authenticated', consumerId: person.consumerId });
    expect((await ok(page, 'latchkey.me()')).id).toBe(person.consumerId);
    expect(await ok(page, 'latchkey.secondFactor.list()')).toMatchObject({ secondFactors: [{ type: 'totp', recoveryCodesRemaining: 10 }], isTotpEnrollmentPending: false });

    // With user verification the passkey is enough (SPEC §12).
    await ok(page, 'latchkey.logout()');
    await page.reload();
    await page.waitForFunction(() => (window as any).ready === true);
    await authenticator.setUserVerified(true);
    expect(await ok(page, 'latchkey.passkey.signIn()')).toMatchObject({ status: 'signed_in', session: { consumerId: person.consumerId } });
    await context.close();
  });

  it('SPEC §12: a recovery code completes the pending sign-in once; regenerate and remove the authenticator app through the library', async () => {
    const context = await browser.newContext();
    const page = await openPage(context);
    const authenticator = await addVirtualAuthenticator(page);
    const person = await personWithPasskey(page, 'rudi@example.com', true);
    await withoutUserVerification(page, authenticator);

    const first = await ok(page, 'latchkey.passkey.signIn()');
    const [recoveryCode] = person.recoveryCodes;
    expect(await ok(page, 'latchkey.secondFactor.verify(arg)', { secondFactorToken: first.secondFactorToken, recoveryCode })).toMatchObject({ consumerId: person.consumerId });
    await ok(page, 'latchkey.logout()');
    const second = await ok(page, 'latchkey.passkey.signIn()');
    expect(await call(page, 'latchkey.secondFactor.verify(arg)', { secondFactorToken: second.secondFactorToken, recoveryCode })).toMatchObject({
      ok: false, name: 'RecoveryCodeInvalid', code: 'recovery_code_invalid', status: 401,
    });
    await ok(page, 'latchkey.secondFactor.verify(arg)', { secondFactorToken: second.secondFactorToken, recoveryCode: person.recoveryCodes[1] });
    expect((await ok(page, 'latchkey.secondFactor.list()')).secondFactors).toEqual([expect.objectContaining({ type: 'totp', recoveryCodesRemaining: 8 })]);

    // New codes replace the old ones; a wrong proof is refused with its typed error.
    expect(await call(page, 'latchkey.recoveryCodes.regenerate(arg)', { totpCode: wrongTotpCode(person.secret) })).toMatchObject({ ok: false, name: 'TotpInvalid' });
    const fresh = await ok(page, 'latchkey.recoveryCodes.regenerate(arg)', { totpCode: nextTotpCode(person.secret) });
    expect(fresh).toHaveLength(10);
    expect(await call(page, 'latchkey.totp.remove(arg)', { recoveryCode: person.recoveryCodes[2] })).toMatchObject({ ok: false, name: 'RecoveryCodeInvalid' });
    expect(await ok(page, 'latchkey.totp.remove(arg)', { recoveryCode: fresh[0] })).toBeUndefined();
    expect(await ok(page, 'latchkey.secondFactor.list()')).toEqual({ secondFactors: [], isTotpEnrollmentPending: false });

    // No second factor left: the passkey without user verification signs in on its own.
    await ok(page, 'latchkey.logout()');
    expect(await ok(page, 'latchkey.passkey.signIn()')).toMatchObject({ status: 'signed_in', session: { consumerId: person.consumerId } });
    await context.close();
  });

  it('SPEC §6.2 / §12: API mode — createOAuthClient().passkeyLogin() gives a login token; without user verification isOtpRequired, then the app\'s code', async () => {
    const context = await browser.newContext();
    const page = await openPage(context);
    const authenticator = await addVirtualAuthenticator(page);
    const person = await personWithPasskey(page, 'olu@example.com', true);
    await page.evaluate(({ baseUrl, clientId }) => {
      (window as any).oauth = (window as any).sdk.createOAuthClient({ baseUrl, clientId, redirectUri: 'http://localhost/callback' });
    }, { baseUrl, clientId: publishableKey });
    const login = (arg?: object) => page.evaluate((a) => (window as any).attempt((window as any).oauth.passkeyLogin(a)), arg);

    const verified = await login();
    expect(verified).toMatchObject({ ok: true, value: { isOtpRequired: false, userId: person.consumerId, accessToken: expect.any(String) } });
    const user = await server.request('/v1/user', { headers: { authorization: `Bearer ${(verified as any).value.accessToken}` } });
    expect(user.status).toBe(200);

    await withoutUserVerification(page, authenticator);
    expect(await login()).toMatchObject({ ok: true, value: { isOtpRequired: true, accessToken: null, secondFactors: ['totp'] } });
    expect(await login({ totpCode: wrongTotpCode(person.secret) })).toMatchObject({ ok: false, name: 'TotpInvalid', status: 401 });
    const completed = await login({ totpCode: nextTotpCode(person.secret) });
    expect(completed).toMatchObject({ ok: true, value: { isOtpRequired: false, userId: person.consumerId, accessToken: expect.any(String) } });
    await context.close();
  });

  it('WebAuthn L3 §7.2 step 21: a cloned credential whose sign counter is behind is refused (PasskeyInvalid)', async () => {
    const context = await browser.newContext();
    const page = await openPage(context);
    const original = await addVirtualAuthenticator(page);
    const person = await personWithPasskey(page, 'cleo@example.com', false);
    const [copied] = await original.credentials();
    // The genuine authenticator signs in: the stored counter moves past the copy's.
    expect(await ok(page, 'latchkey.passkey.signIn()')).toMatchObject({ status: 'signed_in', session: { consumerId: person.consumerId } });
    await ok(page, 'latchkey.logout()');
    expect((await original.credentials())[0]!.signCount).toBeGreaterThan(copied!.signCount);

    await original.remove();
    const clone = await addVirtualAuthenticator(page);
    await clone.addCredential(copied!);
    expect(await call(page, 'latchkey.passkey.signIn()')).toMatchObject({ ok: false, name: 'PasskeyInvalid', code: 'passkey_invalid', status: 401 });
    expect(await ok(page, 'latchkey.getSession()')).toBeNull();
    await context.close();
  });

  it('WebAuthn L3 §5.1.8: without the browser\'s JSON helpers, the library converts options and credentials itself', async () => {
    const context = await browser.newContext();
    const page = await openPage(context, '?fallback');
    await addVirtualAuthenticator(page);
    expect(await page.evaluate(() => [typeof (PublicKeyCredential as any).parseRequestOptionsFromJSON, typeof (PublicKeyCredential.prototype as any).toJSON])).toEqual(['undefined', 'undefined']);
    const person = await personWithPasskey(page, 'fay@example.com', false);
    expect(person.passkey).toMatchObject({ name: 'Laptop', transports: ['internal'] });
    expect(await ok(page, 'latchkey.passkey.signIn()')).toMatchObject({ status: 'signed_in', session: { consumerId: person.consumerId } });
    await context.close();
  });

  it('SPEC §12: conditional mediation (autofill) reaches the browser with the signal; an abort rejects with AbortError', async () => {
    const context = await browser.newContext();
    const page = await openPage(context);
    await addVirtualAuthenticator(page);
    const person = await personWithPasskey(page, 'cody@example.com', false);
    expect(await ok(page, 'latchkey.passkey.isAvailable("conditional")')).toBe(true);
    await page.evaluate(() => {
      const get = navigator.credentials.get.bind(navigator.credentials);
      (window as any).asked = [];
      navigator.credentials.get = (options?: CredentialRequestOptions) => {
        (window as any).asked.push({ mediation: options?.mediation, hasSignal: options?.signal instanceof AbortSignal });
        return get(options);
      };
      (window as any).controller = new AbortController();
    });
    // The virtual authenticator picks the one passkey from the autofill at once (a person would choose it).
    expect(await ok(page, 'latchkey.passkey.signIn({ mediation: "conditional", signal: window.controller.signal })')).toMatchObject({
      status: 'signed_in', session: { consumerId: person.consumerId },
    });
    expect(await page.evaluate(() => (window as any).asked)).toEqual([{ mediation: 'conditional', hasSignal: true }]);
    await ok(page, 'latchkey.logout()');

    // The person signs in another way while the options are on their way: the abort ends the request.
    let held = () => {};
    const reached = new Promise<void>((resolve) => (held = resolve));
    await context.route(`${baseUrl}/auth/passkey/options`, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      held();
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await route.continue().catch(() => {});
    });
    const aborted = page.evaluate(() => {
      (window as any).controller = new AbortController();
      return (window as any).attempt((window as any).latchkey.passkey.signIn({ mediation: 'conditional', signal: (window as any).controller.signal }));
    });
    await reached;
    await page.evaluate(() => (window as any).controller.abort());
    expect(await aborted).toMatchObject({ ok: false, name: 'AbortError', isLatchkeyError: false });
    // Aborted before the call: no request at all.
    expect(await page.evaluate(() => (window as any).attempt((window as any).latchkey.passkey.signIn({ signal: AbortSignal.abort() })))).toMatchObject({ ok: false, name: 'AbortError' });
    expect(await page.evaluate(() => (window as any).asked)).toHaveLength(1);
    await context.close();
  });

  it('SPEC §12: without WebAuthn the calls reject with WebauthnUnavailable before any request', async () => {
    const context = await browser.newContext();
    const page = await openPage(context, '?nowebauthn');
    const requests: string[] = [];
    page.on('request', (request) => requests.push(new URL(request.url()).pathname));
    expect(await ok(page, 'latchkey.passkey.isAvailable()')).toBe(false);
    expect(await call(page, 'latchkey.passkey.signIn()')).toMatchObject({ ok: false, name: 'WebauthnUnavailable', code: 'webauthn_unavailable', isLatchkeyError: true });
    expect(await call(page, 'latchkey.passkey.register()')).toMatchObject({ ok: false, name: 'WebauthnUnavailable' });
    expect(await page.evaluate(() => (window as any).sdk.WebauthnUnavailable.name)).toBe('WebauthnUnavailable');
    expect(requests.filter((path) => path.includes('passkey'))).toEqual([]);
    await context.close();
  });
});
