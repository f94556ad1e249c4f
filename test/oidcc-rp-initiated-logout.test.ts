import { createHmac, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { createPasswordUser } from './helpers/oauth.js';
import {
  authorizationError, authorize, Browser, codeFlow, createRelyingParty, decodeJwt, formsOf, type Landing, type Person, type RelyingParty,
} from './helpers/oidc-rp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * The OpenID Foundation's RP-Initiated Logout OP plan (`oidcc-rp-initiated-logout-certification-test-plan`,
 * conformance-suite OIDCCRpInitiatedLogoutTestPlan), one `describe` per module. Each module first runs a
 * normal code flow (a 128-character state, as AbstractOIDCCRpInitiatedLogout asks, to check the OP does
 * not corrupt it), then sends the browser to the discovered end_session_endpoint with the module's
 * parameters (the suite sends id_token_hint, post_logout_redirect_uri and state, and no client_id).
 * "Logged out" is checked as the suite checks it: a second authorization with prompt=none must come
 * back with an error that needs a user interface (SPEC §9: login_required).
 *
 * Where the suite only asks for a screenshot ("the OP must not redirect back and must either show an
 * error screen or confirm with the user"), the test asserts the server's answer is a page of its own
 * and not a redirect. Where SPEC §9 says more (the request cannot be attributed → the person confirms),
 * the confirmation is submitted and the logout checked. The discovery module of this plan is in
 * oidcc-config-op.test.ts.
 */

const SUITE_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** The suite's ChangeIdTokenToAlgNone: the same header and claims, alg none, no signature. */
function toAlgNone(idToken: string): string {
  const { header, payload } = decodeJwt(idToken);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ ...header, alg: 'none' })}.${encode(payload)}.`;
}

/** oidcc-rp-initiated-logout-bad-id-token-hint: the same claims, signed by the test suite's own RSA key. */
function signedBySuite(idToken: string): string {
  const { payload } = decodeJwt(idToken);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg: 'RS256', typ: 'JWT', kid: 'conformance-suite' })}.${encode(payload)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(SUITE_KEY.privateKey).toString('base64url')}`;
}

/**
 * The suite's own bad hint (GenerateFakeIdTokenClaims + SignFakeIdToken with GenerateJWKsFromClientSecret):
 * fake claims, HS256 under the client secret — a symmetric key the client knows, never a key of the OP.
 */
function fakeIdTokenSignedWithClientSecret(issuer: string, clientId: string, clientSecret: string, now: number): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const iat = Math.floor(now / 1000);
  const input = `${encode({ alg: 'HS256' })}.${encode({ iss: clientId, sub: 'SubjectID', aud: issuer, nonce: 'flibble', iat, exp: iat + 300 })}`;
  return `${input}.${createHmac('sha256', clientSecret).update(input).digest('base64url')}`;
}

describeEachEngine('OpenID Foundation RP-Initiated Logout OP plan (oidcc-rp-initiated-logout-certification-test-plan)', (engine) => {
  let server: TestServer;
  let rp: RelyingParty;

  beforeAll(async () => {
    server = await startTestServer(engine);
    rp = await createRelyingParty(server);
  });
  afterAll(() => server?.close());

  /** A person signed in at the RP through a browser: the ID token and access token of that sign-in. */
  async function signedIn() {
    const person: Person = await createPasswordUser(server);
    const browser = new Browser(server);
    const state = randomBytes(96).toString('base64url');
    expect(state).toHaveLength(128);
    const { tokens, callback } = await codeFlow(server, rp, browser, person, { nonce: client.randomNonce(), state });
    expect(callback.searchParams.get('state')).toBe(state);
    return { person, browser, idToken: tokens.id_token!, accessToken: tokens.access_token };
  }

  /** The browser at the end-session endpoint with exactly these parameters (GET, as the suite redirects). */
  function endSession(browser: Browser, parameters: Record<string, string>): Promise<Landing> {
    const url = client.buildEndSessionUrl(rp.config(), parameters);
    return browser.navigate(url.toString());
  }

  /** The suite's check that the logout happened: prompt=none must need a user interface again. */
  async function expectLoggedOut(browser: Browser) {
    const state = client.randomState();
    const interaction = await authorize(server, rp, browser, { scope: 'openid', nonce: client.randomNonce(), state, prompt: 'none' });
    expect(authorizationError(interaction, rp)).toMatchObject({ error: 'login_required', state });
  }

  /** The browser session is still live: prompt=none gives a code. */
  async function expectStillLoggedIn(browser: Browser) {
    const interaction = await authorize(server, rp, browser, { scope: 'openid', nonce: client.randomNonce(), state: client.randomState(), prompt: 'none' });
    expect(interaction.landing.kind).toBe('redirect');
    if (interaction.landing.kind === 'redirect') expect(interaction.landing.url.searchParams.get('code')).toEqual(expect.any(String));
  }

  /** The server answered with a page of its own (error or confirmation), never a redirect out. */
  function expectPageNotRedirect(landing: Landing): asserts landing is Extract<Landing, { kind: 'page' }> {
    if (landing.kind === 'redirect') throw new Error(`the OP redirected to ${landing.url} instead of showing an error or a confirmation`);
    expect(landing.status).toBeLessThan(500);
    expect(landing.html).toMatch(/<html/i);
  }

  /** SPEC §9: the person confirms a logout that cannot be attributed — the confirmation form is submitted. */
  async function confirm(browser: Browser, landing: Extract<Landing, { kind: 'page' }>): Promise<Landing> {
    const isConfirm = (button: { label: string }) => /(log|sign) ?out|confirm|yes/i.test(button.label);
    const form = formsOf(landing.html).find((candidate) => candidate.method === 'post' && candidate.buttons.some(isConfirm));
    expect(form, 'a confirmation form with a sign-out button').toBeDefined();
    return browser.submit(landing, form!, {}, form!.buttons.find(isConfirm));
  }

  describe('oidcc-rp-initiated-logout', () => {
    it('id_token_hint, post_logout_redirect_uri and state: back to the registered URI with the state and nothing else; logged out', async () => {
      const { browser, idToken, accessToken } = await signedIn();
      const state = randomBytes(96).toString('base64url');
      const landing = await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: rp.postLogoutRedirectUri, state });
      if (landing.kind !== 'redirect') throw new Error(`expected a redirect to the post-logout URI, got page ${landing.status}`);
      expect(`${landing.url.origin}${landing.url.pathname}`).toBe(rp.postLogoutRedirectUri);
      // CheckPostLogoutState; CheckForUnexpectedParametersInPostLogoutRedirect.
      expect([...landing.url.searchParams]).toEqual([['state', state]]);
      await expectLoggedOut(browser);
      // SPEC §9: the sessions the browser session started for this application end too.
      const userInfo = await fetch(rp.config().serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(userInfo.status).toBe(401);
    });

    it('the same request as a form POST (RP-Initiated Logout §2: GET and POST)', async () => {
      const { browser, idToken } = await signedIn();
      const state = client.randomState();
      const url = client.buildEndSessionUrl(rp.config(), { id_token_hint: idToken, post_logout_redirect_uri: rp.postLogoutRedirectUri, state });
      const landing = await browser.navigate(`${url.origin}${url.pathname}`, {
        method: 'POST', body: url.searchParams.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      if (landing.kind !== 'redirect') throw new Error(`expected a redirect to the post-logout URI, got page ${landing.status}`);
      expect(landing.url.toString()).toBe(`${rp.postLogoutRedirectUri}?state=${state}`);
      await expectLoggedOut(browser);
    });
  });

  describe('oidcc-rp-initiated-logout-bad-post-logout-redirect-uri', () => {
    it('an unregistered post_logout_redirect_uri: no redirect, an error or a confirmation page', async () => {
      const { browser, idToken } = await signedIn();
      // AddBadPostLogoutRedirectUriToEndSessionEndpointRequest: the RP's base URL + /bad_post_logout_redirect_uri.
      const bad = 'https://rp.example/bad_post_logout_redirect_uri';
      const landing = await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: bad, state: client.randomState() });
      expectPageNotRedirect(landing);
      // SPEC §9: a request that cannot be attributed ends nothing by itself (logout CSRF).
      await expectStillLoggedIn(browser);
      expect(landing.html).not.toContain(bad);
    });
  });

  describe('oidcc-rp-initiated-logout-modified-id-token-hint', () => {
    it('the id_token_hint changed to alg none: no redirect, an error or a confirmation page', async () => {
      const { browser, idToken } = await signedIn();
      const landing = await endSession(browser, { id_token_hint: toAlgNone(idToken), post_logout_redirect_uri: rp.postLogoutRedirectUri, state: client.randomState() });
      expectPageNotRedirect(landing);
      // SPEC §9: a request that cannot be attributed ends nothing by itself (logout CSRF).
      await expectStillLoggedIn(browser);
    });
  });

  describe('oidcc-rp-initiated-logout-bad-id-token-hint', () => {
    it('the suite\'s fake id_token_hint (HS256 under the client secret): no redirect, an error or a confirmation page', async () => {
      const { browser } = await signedIn();
      const hint = fakeIdTokenSignedWithClientSecret(server.url, rp.clientId, rp.clientSecret, server.clock.now());
      const landing = await endSession(browser, { id_token_hint: hint, post_logout_redirect_uri: rp.postLogoutRedirectUri, state: client.randomState() });
      expectPageNotRedirect(landing);
      // SPEC §9: a request that cannot be attributed ends nothing by itself (logout CSRF).
      await expectStillLoggedIn(browser);
    });

    it('the real ID token\'s claims signed with an RSA key that is not the OP\'s: no redirect, an error or a confirmation page', async () => {
      const { browser, idToken } = await signedIn();
      const landing = await endSession(browser, { id_token_hint: signedBySuite(idToken), post_logout_redirect_uri: rp.postLogoutRedirectUri, state: client.randomState() });
      expectPageNotRedirect(landing);
      // SPEC §9: a request that cannot be attributed ends nothing by itself (logout CSRF).
      await expectStillLoggedIn(browser);
    });
  });

  describe('oidcc-rp-initiated-logout-no-id-token-hint', () => {
    it('post_logout_redirect_uri and state without id_token_hint (not attributable): no redirect, a page', async () => {
      const { browser } = await signedIn();
      const landing = await endSession(browser, { post_logout_redirect_uri: rp.postLogoutRedirectUri, state: client.randomState() });
      expectPageNotRedirect(landing);
      // SPEC §9: a request that cannot be attributed ends nothing by itself (logout CSRF).
      await expectStillLoggedIn(browser);
    });
  });

  describe('oidcc-rp-initiated-logout-no-params', () => {
    it('no parameters: the person is asked, nothing ends before they confirm; after confirming they are logged out', async () => {
      const { browser } = await signedIn();
      const landing = await endSession(browser, {});
      expectPageNotRedirect(landing);
      // SPEC §9: a request that cannot be attributed (any page can link here) does nothing by itself.
      await expectStillLoggedIn(browser);
      const after = await confirm(browser, landing);
      expectPageNotRedirect(after);
      await expectLoggedOut(browser);
    });
  });

  describe('oidcc-rp-initiated-logout-no-post-logout-redirect-uri', () => {
    it('id_token_hint and state only: logged out at once, a "logged out" page (nowhere to redirect to)', async () => {
      const { browser, idToken } = await signedIn();
      const landing = await endSession(browser, { id_token_hint: idToken, state: client.randomState() });
      expectPageNotRedirect(landing);
      expect(landing.status).toBe(200);
      await expectLoggedOut(browser);
    });
  });

  describe('oidcc-rp-initiated-logout-no-state', () => {
    it('id_token_hint and post_logout_redirect_uri, no state: back to the URI with no state; logged out', async () => {
      const { browser, idToken } = await signedIn();
      const landing = await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: rp.postLogoutRedirectUri });
      if (landing.kind !== 'redirect') throw new Error(`expected a redirect to the post-logout URI, got page ${landing.status}`);
      expect(landing.url.toString()).toBe(rp.postLogoutRedirectUri);
      await expectLoggedOut(browser);
    });
  });

  describe('oidcc-rp-initiated-logout-only-state', () => {
    it('only a state: a page (not attributable, so confirmed by the person), then logged out', async () => {
      const { browser } = await signedIn();
      const landing = await endSession(browser, { state: client.randomState() });
      expectPageNotRedirect(landing);
      const after = await confirm(browser, landing);
      expectPageNotRedirect(after);
      await expectLoggedOut(browser);
    });
  });

  describe('oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri', () => {
    it('the registered URI with ?foo=bar added (exact match fails): no redirect, an error or a confirmation page', async () => {
      const { browser, idToken } = await signedIn();
      const landing = await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: `${rp.postLogoutRedirectUri}?foo=bar`, state: client.randomState() });
      expectPageNotRedirect(landing);
      // SPEC §9: a request that cannot be attributed ends nothing by itself (logout CSRF).
      await expectStillLoggedIn(browser);
    });
  });
});
