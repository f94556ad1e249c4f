import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { createPasswordUser } from './helpers/oauth.js';
import {
  atHash, authorizationError, authorize, Browser, callbackOf, codeFlow, completeInteraction, createRelyingParty, decodeJwt, type Person, type RelyingParty,
} from './helpers/oidc-rp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * The OpenID Foundation's Basic OP certification plan (`oidcc-basic-certification-test-plan`,
 * conformance-suite OIDCCBasicTestPlan: response_type=code, client_secret_basic, default response mode,
 * static client), one `describe` per test module of the plan, named as the suite names it, asserting
 * what that module asserts. The relying party is openid-client (ID token signature checked against the
 * discovered JWKS, iss/aud/exp/iat/nonce/state/RFC 9207 iss checked by it); the person is a cookie jar
 * filling the hosted pages. Requests are the suite's: no PKCE (the client is `--pkce optional`), a
 * nonce and a state unless the module leaves them out, scope `openid` plus the module's scopes.
 *
 * Modules of the plan not reproduced here, and why (docs/compliance.md "OpenID Connect"):
 * - oidcc-idtoken-signature, oidcc-idtoken-unsigned: not applicable: the suite runs them only with
 *   dynamic client registration (@VariantNotApplicable static_client), which SPEC §9 leaves out; the
 *   RS256 signature and `kid` of the ID token are asserted in oidcc-server instead.
 * - oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported and
 *   oidcc-ensure-request-object-with-redirect-uri: the suite skips them when discovery does not list
 *   `none` in request_object_signing_alg_values_supported (request objects are refused until PAR, SPEC
 *   §9); the refusal itself is asserted below.
 */

/** An unsigned (alg none) request object, as the suite builds it. */
function unsignedRequestObject(claims: Record<string, unknown>): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none' })}.${encode(claims)}.`;
}

describeEachEngine('OpenID Foundation Basic OP plan (oidcc-basic-certification-test-plan)', (engine) => {
  let server: TestServer;
  let rp: RelyingParty;

  beforeAll(async () => {
    server = await startTestServer(engine);
    rp = await createRelyingParty(server);
  });
  afterAll(() => server?.close());

  const newPerson = async (options: { phone?: string } = {}): Promise<Person> => {
    const user = await createPasswordUser(server, options);
    return { ...user, ...(options.phone ? { phone: options.phone } : {}) };
  };
  const fresh = () => ({ nonce: client.randomNonce(), state: client.randomState() });

  /** UserInfo as the suite calls it: `GET` with the bearer header unless told otherwise. */
  async function userInfo(accessToken: string, how: 'get' | 'post-header' | 'post-body' = 'get'): Promise<Response> {
    const endpoint = rp.config().serverMetadata().userinfo_endpoint!;
    if (how === 'get') return fetch(endpoint, { headers: { authorization: `Bearer ${accessToken}` } });
    if (how === 'post-header') return fetch(endpoint, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } });
    return fetch(endpoint, { method: 'POST', body: new URLSearchParams({ access_token: accessToken }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  /** The suite's ValidateUserInfoStandardClaims: standard claims, when present, have their standard types. */
  function expectStandardClaimTypes(claims: Record<string, unknown>) {
    expect(typeof claims.sub).toBe('string');
    for (const name of ['name', 'given_name', 'family_name', 'email', 'phone_number', 'locale', 'zoneinfo']) {
      if (name in claims) expect(typeof claims[name], name).toBe('string');
    }
    for (const name of ['email_verified', 'phone_number_verified']) if (name in claims) expect(typeof claims[name], name).toBe('boolean');
    if ('updated_at' in claims) expect(Number.isInteger(claims.updated_at), 'updated_at is seconds since the epoch').toBe(true);
    if ('address' in claims) expect(typeof claims.address, 'address is an object').toBe('object');
  }

  describe('oidcc-server', () => {
    it('code flow with client_secret_basic, nonce and state, no PKCE: a valid ID token with every claim SPEC §9 lists', async () => {
      const person = await newPerson();
      const { nonce, state } = fresh();
      const { callback, tokens, claims } = await codeFlow(server, rp, new Browser(server), person, { nonce, state });
      // RFC 6749 §4.1.2 state echoed; RFC 9207 iss (openid-client checked both).
      expect(callback.searchParams.get('state')).toBe(state);
      expect(callback.searchParams.get('iss')).toBe(server.url);
      expect(tokens.token_type.toLowerCase()).toBe('bearer');
      // ValidateExpiresIn (RFC 6749 §5.1): a positive number of seconds.
      expect(Number.isInteger(tokens.expires_in) && tokens.expires_in! > 0).toBe(true);
      expect(claims).toMatchObject({ iss: server.url, aud: rp.clientId, nonce, azp: rp.clientId });
      // CheckForSubjectInIdToken; Core §2: at most 255 ASCII characters.
      expect(claims.sub).toMatch(/^[\x21-\x7e]{1,255}$/);
      expect(claims.exp).toBeGreaterThan(claims.iat);
      expect(claims.auth_time).toEqual(expect.any(Number));
      expect(claims.sid).toEqual(expect.any(String));
      // OpenID Connect Core §3.1.3.6: at_hash of the access token issued with it.
      expect(claims.at_hash).toBe(atHash(tokens.access_token));
      // OP-IDToken-Signature / OP-IDToken-kid (oidcc-idtoken-signature): RS256 by default, with a kid of the JWKS.
      const { header } = decodeJwt(tokens.id_token!);
      expect(header.alg).toBe('RS256');
      const jwks = await (await fetch(rp.config().serverMetadata().jwks_uri!)).json();
      expect(jwks.keys.map((key: { kid: string }) => key.kid)).toContain(header.kid);
      // requestProtectedResource: the access token works at the UserInfo endpoint.
      expect((await userInfo(tokens.access_token)).status).toBe(200);
    });

    it('the same with a client of RS256 access tokens (SPEC §9, RFC 9068 §2.1): UserInfo and refresh accept them', async () => {
      const rs256 = await createRelyingParty(server, { accessTokenAlg: 'RS256' });
      const person = await newPerson();
      const { tokens, claims } = await codeFlow(server, rs256, new Browser(server), person, { ...fresh(), scope: 'openid offline_access' });
      expect(decodeJwt(tokens.access_token).header).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
      expect(claims.at_hash).toBe(atHash(tokens.access_token));
      expect((await client.fetchUserInfo(rs256.config(), tokens.access_token, claims.sub)).sub).toBe(claims.sub);
      const refreshed = await client.refreshTokenGrant(rs256.config(), tokens.refresh_token!);
      expect(decodeJwt(refreshed.access_token).header.alg).toBe('RS256');
    });
  });

  describe('oidcc-response-type-missing', () => {
    it('no response_type: the error goes back to the registered redirect URI as invalid_request or unsupported_response_type, with the state', async () => {
      const { state } = fresh();
      const url = client.buildAuthorizationUrl(rp.config(), { redirect_uri: rp.redirectUri, scope: 'openid', state, nonce: client.randomNonce() });
      url.searchParams.delete('response_type');
      const browser = new Browser(server);
      const landing = await browser.navigate(url.toString());
      const { error, state: echoed } = authorizationError({ landing, sawLogin: false, sawConsent: false }, rp);
      expect(['invalid_request', 'unsupported_response_type']).toContain(error);
      expect(echoed).toBe(state);
    });
  });

  for (const [module, how] of [['oidcc-userinfo-get', 'get'], ['oidcc-userinfo-post-header', 'post-header'], ['oidcc-userinfo-post-body', 'post-body']] as const) {
    describe(module, () => {
      it(`UserInfo by ${how}: 200 JSON whose sub is the ID token's sub, standard claim types`, async () => {
        const person = await newPerson();
        const { tokens, claims } = await codeFlow(server, rp, new Browser(server), person, fresh());
        const response = await userInfo(tokens.access_token, how);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        const body = await response.json();
        expect(body.sub).toBe(claims.sub);
        expectStandardClaimTypes(body);
        if (how === 'get') {
          // openid-client's own UserInfo call (GET, bearer header) checks the sub as well.
          expect((await client.fetchUserInfo(rp.config(), tokens.access_token, claims.sub)).sub).toBe(claims.sub);
        }
      });
    });
  }

  describe('oidcc-ensure-request-without-nonce-succeeds-for-code-flow', () => {
    it('no nonce in a code flow: a code is issued and the ID token has no nonce', async () => {
      const person = await newPerson();
      const { claims } = await codeFlow(server, rp, new Browser(server), person, { state: client.randomState() });
      expect(claims).not.toHaveProperty('nonce');
    });
  });

  /** The scope modules (AbstractOIDCCReturnedClaimsServerTest): claims come from UserInfo, not the ID token. */
  const scopeModules: Array<[string, string, (body: Record<string, unknown>) => void]> = [
    ['oidcc-scope-profile', 'profile', (body) => expect(body).toMatchObject({ name: 'Ada King Lovelace', given_name: 'Ada', family_name: 'King Lovelace' })],
    ['oidcc-scope-email', 'email', (body) => {
      expect(body.email).toEqual(expect.stringContaining('@example.com'));
      expect(typeof body.email_verified).toBe('boolean');
      // EnsureUserInfoDoesNotContainName: the email scope does not release the profile claims.
      expect(body).not.toHaveProperty('name');
    }],
    ['oidcc-scope-address', 'address', () => {
      // Latchkey stores no postal address: the claim is absent (a warning in the suite, not a failure);
      // the scope must still be accepted and granted.
    }],
    ['oidcc-scope-phone', 'phone', (body) => expect(body).toMatchObject({ phone_number: '+14155550123', phone_number_verified: expect.any(Boolean) })],
    ['oidcc-scope-all', 'address email phone profile', (body) => {
      expect(body).toMatchObject({ name: 'Ada King Lovelace', phone_number: '+14155550124' });
      expect(body.email).toEqual(expect.stringContaining('@example.com'));
    }],
  ];
  for (const [module, scopes, expectClaims] of scopeModules) {
    describe(module, () => {
      it(`scope "openid ${scopes}": granted, its claims in UserInfo and not in the ID token`, async () => {
        // One phone number per person: a number belongs to one account of an environment.
        const phone = { 'oidcc-scope-phone': '+14155550123', 'oidcc-scope-all': '+14155550124' }[module];
        const person = await newPerson(phone ? { phone } : {});
        const { tokens, claims } = await codeFlow(server, rp, new Browser(server), person, { ...fresh(), scope: `openid ${scopes}` });
        expect(tokens.scope!.split(' ').sort()).toEqual(['openid', ...scopes.split(' ')].sort());
        const body = await client.fetchUserInfo(rp.config(), tokens.access_token, claims.sub);
        expectStandardClaimTypes(body);
        expectClaims(body);
        // SPEC §9: scope claims appear in the ID token only when the claims parameter asks for them.
        for (const name of ['name', 'email', 'phone_number', 'address']) expect(claims).not.toHaveProperty(name);
      });
    });
  }

  describe('oidcc-alternate-happy-flow (formerly oidcc-ensure-other-scope-order-succeeds)', () => {
    it('scope values reversed and the query in another order: the same happy flow', async () => {
      const person = await newPerson();
      const { nonce, state } = fresh();
      const config = rp.config();
      // Built by hand so that the order is the reverse of openid-client's.
      const url = new URL(config.serverMetadata().authorization_endpoint!);
      for (const [name, value] of [['state', state], ['nonce', nonce], ['scope', 'email profile openid'], ['redirect_uri', rp.redirectUri], ['client_id', rp.clientId], ['response_type', 'code']]) {
        url.searchParams.set(name!, value!);
      }
      const browser = new Browser(server);
      const interaction = await completeInteraction(server, browser, await browser.navigate(url.toString()), person);
      const tokens = await client.authorizationCodeGrant(config, callbackOf(interaction, rp), { expectedNonce: nonce, expectedState: state, idTokenExpected: true });
      expect(tokens.scope!.split(' ').sort()).toEqual(['email', 'openid', 'profile']);
      expect((await client.fetchUserInfo(rp.config(), tokens.access_token, tokens.claims()!.sub)).email).toBe(person.email);
    });
  });

  for (const display of ['page', 'popup']) {
    describe(`oidcc-display-${display}`, () => {
      it(`display=${display} does not cause an error: the normal login page, then a code`, async () => {
        const person = await newPerson();
        const { interaction } = await codeFlow(server, rp, new Browser(server), person, { ...fresh(), display });
        expect(interaction.sawLogin).toBe(true);
      });
    });
  }

  describe('oidcc-prompt-login', () => {
    it('prompt=login with a live browser session: the login page again, and a later auth_time', async () => {
      const person = await newPerson();
      const browser = new Browser(server);
      const first = await codeFlow(server, rp, browser, person, fresh());
      server.clock.advance(2);
      const second = await codeFlow(server, rp, browser, person, { ...fresh(), prompt: 'login' });
      expect(second.interaction.sawLogin).toBe(true);
      expect(second.claims.sub).toBe(first.claims.sub);
      expect(second.claims.auth_time).toBeGreaterThan(first.claims.auth_time!);
    });
  });

  describe('oidcc-prompt-none-not-logged-in', () => {
    it('prompt=none without a browser session: error=login_required at the redirect URI, state echoed, no page', async () => {
      const { nonce, state } = fresh();
      const browser = new Browser(server);
      const interaction = await authorize(server, rp, browser, { scope: 'openid', nonce, state, prompt: 'none' });
      const result = authorizationError(interaction, rp);
      // CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface; SPEC §9 names login_required.
      expect(result.error).toBe('login_required');
      expect(result.state).toBe(state);
      expect(result.iss).toBe(server.url);
      expect(browser.pages).toHaveLength(0);
    });
  });

  describe('oidcc-prompt-none-logged-in', () => {
    it('prompt=none with a browser session: a code at once, the same sub and auth_time', async () => {
      const person = await newPerson();
      const browser = new Browser(server);
      const first = await codeFlow(server, rp, browser, person, fresh());
      server.clock.advance(5);
      const pagesBefore = browser.pages.length;
      const second = await codeFlow(server, rp, browser, undefined, { ...fresh(), prompt: 'none' });
      expect(browser.pages.length).toBe(pagesBefore);
      expect(second.claims.sub).toBe(first.claims.sub);
      expect(first.claims.auth_time).toEqual(expect.any(Number));
      expect(second.claims.auth_time).toBe(first.claims.auth_time);
    });
  });

  describe('oidcc-max-age-1', () => {
    it('max_age=1 after more than a second: the login page again and a later auth_time', async () => {
      const person = await newPerson();
      const browser = new Browser(server);
      const first = await codeFlow(server, rp, browser, person, fresh());
      server.clock.advance(2);
      const second = await codeFlow(server, rp, browser, person, { ...fresh(), max_age: '1' }, { maxAge: 1 });
      expect(second.interaction.sawLogin).toBe(true);
      expect(second.claims.auth_time).toEqual(expect.any(Number));
      expect(second.claims.auth_time).toBeGreaterThan(first.claims.auth_time!);
    });
  });

  describe('oidcc-max-age-10000', () => {
    it('max_age=15000 then max_age=10000: no second login, the same sub and auth_time', async () => {
      const person = await newPerson();
      const browser = new Browser(server);
      const first = await codeFlow(server, rp, browser, person, { ...fresh(), max_age: '15000' }, { maxAge: 15000 });
      server.clock.advance(60);
      const second = await codeFlow(server, rp, browser, person, { ...fresh(), max_age: '10000' }, { maxAge: 10000 });
      expect(second.interaction.sawLogin).toBe(false);
      expect(second.claims.sub).toBe(first.claims.sub);
      expect(second.claims.auth_time).toBe(first.claims.auth_time);
    });
  });

  describe('oidcc-ensure-request-with-unknown-parameter-succeeds', () => {
    it('extra=foobar is ignored (RFC 6749 §3.1)', async () => {
      const person = await newPerson();
      const { claims } = await codeFlow(server, rp, new Browser(server), person, { ...fresh(), extra: 'foobar' });
      expect(claims.sub).toEqual(expect.any(String));
    });
  });

  describe('oidcc-id-token-hint', () => {
    it('prompt=none with the first ID token as id_token_hint: a code at once, the same sub and auth_time', async () => {
      const person = await newPerson();
      const browser = new Browser(server);
      const first = await codeFlow(server, rp, browser, person, fresh());
      server.clock.advance(5);
      const pagesBefore = browser.pages.length;
      const second = await codeFlow(server, rp, browser, undefined, { ...fresh(), prompt: 'none', id_token_hint: first.tokens.id_token! });
      expect(browser.pages.length).toBe(pagesBefore);
      expect(second.claims.sub).toBe(first.claims.sub);
      expect(first.claims.auth_time).toEqual(expect.any(Number));
      expect(second.claims.auth_time).toBe(first.claims.auth_time);
    });
  });

  describe('oidcc-id-token-hint (the hint is read)', () => {
    it('SPEC §9: prompt=none with the ID token of another person than the one signed in → login_required', async () => {
      const [signedIn, other] = [await newPerson(), await newPerson()];
      const { tokens: otherTokens } = await codeFlow(server, rp, new Browser(server), other, fresh());
      const browser = new Browser(server);
      await codeFlow(server, rp, browser, signedIn, fresh());
      const { nonce, state } = fresh();
      const interaction = await authorize(server, rp, browser, { scope: 'openid', nonce, state, prompt: 'none', id_token_hint: otherTokens.id_token! });
      expect(authorizationError(interaction, rp)).toMatchObject({ error: 'login_required', state });
    });
  });

  describe('oidcc-login-hint', () => {
    it('login_hint pre-fills the email of a fresh login page and the flow completes', async () => {
      const person = await newPerson();
      const { interaction, claims } = await codeFlow(server, rp, new Browser(server), person, { ...fresh(), login_hint: person.email });
      expect(interaction.sawLogin).toBe(true);
      expect(interaction.prefilledEmail).toBe(person.email);
      expect(claims.sub).toEqual(expect.any(String));
    });

    it('the suite\'s default hint (buffy@<issuer host>, no such account): no error, the person signs in as themself', async () => {
      const person = await newPerson();
      const hint = `buffy@${new URL(server.url).hostname}`;
      const { interaction, claims } = await codeFlow(server, rp, new Browser(server), person, { ...fresh(), login_hint: hint });
      expect(interaction.sawLogin).toBe(true);
      expect(claims.sub).toEqual(expect.any(String));
    });
  });

  for (const [module, parameter] of [['oidcc-ui-locales', 'ui_locales'], ['oidcc-claims-locales', 'claims_locales']] as const) {
    describe(module, () => {
      it(`${parameter}=se does not cause an error`, async () => {
        const person = await newPerson();
        const { claims } = await codeFlow(server, rp, new Browser(server), person, { ...fresh(), [parameter]: 'se' });
        expect(claims.sub).toEqual(expect.any(String));
      });
    });
  }

  describe('oidcc-ensure-request-with-acr-values-succeeds', () => {
    it('acr_values="1 2" (none advertised): the authorization succeeds', async () => {
      const person = await newPerson();
      const { claims } = await codeFlow(server, rp, new Browser(server), person, { ...fresh(), acr_values: '1 2' });
      // An acr claim is optional (a warning in the suite when absent); when present it is one requested.
      if (claims.acr !== undefined) expect(['1', '2']).toContain(claims.acr);
    });
  });

  /** Redeems a callback's code by hand (client_secret_basic, no PKCE), as the suite's second attempt does. */
  function redeem(callback: URL) {
    return fetch(rp.config().serverMetadata().token_endpoint!, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: rp.redirectUri }).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(rp.clientId)}:${encodeURIComponent(rp.clientSecret)}`).toString('base64')}`,
      },
    });
  }

  describe('oidcc-codereuse', () => {
    it('the code a second time, at once: invalid_grant', async () => {
      const person = await newPerson();
      const { callback, tokens } = await codeFlow(server, rp, new Browser(server), person, fresh());
      const again = await redeem(callback);
      // CheckTokenEndpointHttpStatus400, CheckTokenEndpointReturnedJsonContentType, ...ErrorInvalidGrant,
      // ValidateErrorDescriptionFromTokenEndpointResponseError (RFC 6749 §5.2).
      expect(again.status).toBe(400);
      expect(again.headers.get('content-type')).toMatch(/^application\/json/);
      const body = await again.json();
      expect(body.error).toBe('invalid_grant');
      if (body.error_description !== undefined) expect(body.error_description).toMatch(/^[\x09\x0a\x0d\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
      // RFC 6749 §4.1.2 (OP-OAuth-2nd-Revokes): the tokens of the first use are revoked.
      expect((await userInfo(tokens.access_token)).status).toBe(401);
    });
  });

  describe('oidcc-codereuse-30seconds', () => {
    it('the code again 30 seconds later: invalid_grant, and the access token of the first use is revoked', async () => {
      const person = await newPerson();
      const { callback, tokens } = await codeFlow(server, rp, new Browser(server), person, fresh());
      expect((await userInfo(tokens.access_token)).status).toBe(200);
      server.clock.advance(30);
      const again = await redeem(callback);
      expect(again.status).toBe(400);
      expect((await again.json()).error).toBe('invalid_grant');
      const revoked = await userInfo(tokens.access_token);
      expect(revoked.status).toBe(401);
      expect(revoked.headers.get('www-authenticate')).toMatch(/^Bearer /);
    });
  });

  describe('oidcc-ensure-registered-redirect-uri', () => {
    it('an unregistered redirect_uri (the registered one with a random path appended, as CreateBadRedirectUriByAppending makes it): an error shown by the server, never a redirect', async () => {
      const url = client.buildAuthorizationUrl(rp.config(), { redirect_uri: `${rp.redirectUri}/${client.randomState()}`, response_type: 'code', scope: 'openid', ...fresh() });
      const browser = new Browser(server);
      const landing = await browser.navigate(url.toString());
      expect(landing.kind).toBe('page');
      if (landing.kind === 'page') expect(landing.status).toBe(400);
    });
  });

  describe('oidcc-ensure-post-request-succeeds', () => {
    it('the authorization request as a form POST (Core §3.1.2.1) completes', async () => {
      const person = await newPerson();
      const { nonce, state } = fresh();
      const interaction = await authorize(server, rp, new Browser(server), { scope: 'openid', nonce, state }, person, { method: 'POST' });
      const tokens = await client.authorizationCodeGrant(rp.config(), callbackOf(interaction, rp), { expectedNonce: nonce, expectedState: state, idTokenExpected: true });
      expect(tokens.claims()!.nonce).toBe(nonce);
    });
  });

  describe('oidcc-server-client-secret-post', () => {
    it('the happy flow with client_secret_post', async () => {
      const postRp = await createRelyingParty(server, { auth: 'post' });
      const person = await newPerson();
      const { nonce, state } = fresh();
      const { claims, tokens } = await codeFlow(server, postRp, new Browser(server), person, { nonce, state });
      expect(claims).toMatchObject({ aud: postRp.clientId, nonce });
      expect(claims.at_hash).toBe(atHash(tokens.access_token));
    });
  });

  describe('oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported', () => {
    it('an unsigned request object by value: error=request_not_supported at the redirect URI (Core §3.1.2.6), state echoed', async () => {
      const { nonce, state } = fresh();
      const request = unsignedRequestObject({ iss: rp.clientId, aud: server.url, response_type: 'code', client_id: rp.clientId, redirect_uri: rp.redirectUri, scope: 'openid', nonce, state });
      const interaction = await authorize(server, rp, new Browser(server), { scope: 'openid', nonce, state, request });
      expect(authorizationError(interaction, rp)).toMatchObject({ error: 'request_not_supported', state });
    });

    it('discovery says so: request_parameter_supported and request_uri_parameter_supported are false', () => {
      const metadata = rp.config().serverMetadata();
      expect(metadata.request_parameter_supported).toBe(false);
      expect(metadata.request_uri_parameter_supported).toBe(false);
      expect(metadata.request_object_signing_alg_values_supported ?? []).not.toContain('none');
    });
  });

  describe('oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported', () => {
    it('a request_uri: error=request_uri_not_supported at the redirect URI, state echoed (the suite skips this module: no alg none advertised)', async () => {
      const { nonce, state } = fresh();
      const interaction = await authorize(server, rp, new Browser(server), { scope: 'openid', nonce, state, request_uri: 'https://rp.example/request.jwt' });
      expect(authorizationError(interaction, rp)).toMatchObject({ error: 'request_uri_not_supported', state });
    });
  });

  describe('oidcc-ensure-request-object-with-redirect-uri', () => {
    it('a request object naming another redirect_uri is refused at the registered one, never followed', async () => {
      const { nonce, state } = fresh();
      const request = unsignedRequestObject({ iss: rp.clientId, aud: server.url, response_type: 'code', client_id: rp.clientId, redirect_uri: 'https://attacker.example/cb', scope: 'openid', nonce, state });
      const interaction = await authorize(server, rp, new Browser(server), { scope: 'openid', nonce, state, request });
      expect(authorizationError(interaction, rp)).toMatchObject({ error: 'request_not_supported', state });
    });
  });

  describe('oidcc-claims-essential', () => {
    it('claims={"userinfo":{"name":{"essential":true}}} with scope openid: UserInfo returns name, the ID token does not', async () => {
      const person = await newPerson();
      const claimsRequest = JSON.stringify({ userinfo: { name: { essential: true } } });
      const { tokens, claims } = await codeFlow(server, rp, new Browser(server), person, { ...fresh(), claims: claimsRequest });
      const body = await client.fetchUserInfo(rp.config(), tokens.access_token, claims.sub);
      expect(body.name).toBe('Ada King Lovelace');
      expect(claims).not.toHaveProperty('name');
    });

    it('an essential claim asked for in the ID token is in the ID token', async () => {
      const person = await newPerson();
      const claimsRequest = JSON.stringify({ id_token: { email: { essential: true } } });
      const { claims } = await codeFlow(server, rp, new Browser(server), person, { ...fresh(), claims: claimsRequest });
      expect(claims.email).toBe(person.email);
    });
  });

  describe('oidcc-refresh-token', () => {
    it('openid offline_access with prompt=consent: the refresh returns a new ID token (same iss, sub, aud, auth_time) and a working access token', async () => {
      const person = await newPerson();
      const first = await codeFlow(server, rp, new Browser(server), person, { ...fresh(), scope: 'openid offline_access', prompt: 'consent' });
      expect(first.interaction.sawConsent).toBe(true);
      const refreshToken = first.tokens.refresh_token!;
      expect(refreshToken).toMatch(/^[\x20-\x7e]+$/); // RFC 6749 A.17
      // EnsureMinimumRefreshTokenLength: at least 128 bits.
      expect(Buffer.byteLength(refreshToken)).toBeGreaterThanOrEqual(16);
      server.clock.advance(60);
      const config = rp.config();
      let responseHeaders: Headers | undefined;
      config[client.customFetch] = async (url, options) => {
        const response = await fetch(url, options as RequestInit);
        responseHeaders = response.headers;
        return response;
      };
      const refreshed = await client.refreshTokenGrant(config, refreshToken);
      // CheckTokenEndpointReturnedJsonContentType, CheckTokenEndpointCacheHeaders, CheckTokenTypeIsBearer,
      // EnsureAccessTokenValuesAreDifferent.
      expect(responseHeaders!.get('content-type')).toMatch(/^application\/json/);
      expect(responseHeaders!.get('cache-control')).toContain('no-store');
      expect(refreshed.token_type.toLowerCase()).toBe('bearer');
      expect(refreshed.access_token).not.toBe(first.tokens.access_token);
      const claims = refreshed.claims()!;
      // CompareIdTokenClaims; OpenID Connect Core §12.2: same iss, sub, aud, auth_time and azp.
      expect(claims).toMatchObject({ iss: first.claims.iss, sub: first.claims.sub, aud: rp.clientId, auth_time: first.claims.auth_time, azp: first.claims.azp });
      expect(claims.iat).toBeGreaterThan(first.claims.iat);
      expect(claims.at_hash).toBe(atHash(refreshed.access_token));
      expect((await client.fetchUserInfo(rp.config(), refreshed.access_token, claims.sub)).sub).toBe(claims.sub);
    });

    it('a refresh token of a second client used by the first: invalid_grant (the token is bound to its client)', async () => {
      const other = await createRelyingParty(server);
      const person = await newPerson();
      const { tokens } = await codeFlow(server, other, new Browser(server), person, { ...fresh(), scope: 'openid offline_access', prompt: 'consent' });
      const misused = await fetch(rp.config().serverMetadata().token_endpoint!, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }).toString(),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(rp.clientId)}:${encodeURIComponent(rp.clientSecret)}`).toString('base64')}`,
        },
      });
      expect(misused.status).toBe(400);
      expect((await misused.json()).error).toBe('invalid_grant');
    });
  });

  describe('oidcc-ensure-request-with-valid-pkce-succeeds', () => {
    it('a client that speculatively sends PKCE (S256) succeeds', async () => {
      const person = await newPerson();
      const verifier = client.randomPKCECodeVerifier();
      const { nonce, state } = fresh();
      const interaction = await authorize(server, rp, new Browser(server), {
        scope: 'openid', nonce, state, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      }, person);
      const tokens = await client.authorizationCodeGrant(rp.config(), callbackOf(interaction, rp), { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true });
      expect(tokens.claims()!.nonce).toBe(nonce);
    });
  });
});
