import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, describeEachEngine, type TestDatabase } from './helpers/engines.js';
import { authorizeStep3, createOAuthApp, createPasswordUser, loginToken, type OAuthApp } from './helpers/oauth.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const options = { [oauth.allowInsecureRequests]: true } as const;

/** A client's DPoP key pair, its public JWK and thumbprint (RFC 7638), for oauth4webapi and hand-made proofs. */
async function dpopKey() {
  const keyPair = await oauth.generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(keyPair.publicKey);
  return { keyPair, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

/** RFC 9449 §4.2 `ath`: base64url SHA-256 of the access token. */
const athOf = (token: string) => createHash('sha256').update(token).digest('base64url');

/** A proof made by hand, for the negative cases oauth4webapi would never produce. */
async function handMadeProof(
  key: { keyPair: CryptoKeyPair; jwk: JWK },
  claims: Record<string, unknown>,
  header: { typ?: string; jwk?: JWK } = {},
): Promise<string> {
  return new SignJWT({ jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: header.typ ?? 'dpop+jwt', jwk: header.jwk ?? key.jwk })
    .sign(key.keyPair.privateKey);
}

/**
 * Runs an oauth4webapi grant with a DPoP handle: the first request is refused with use_dpop_nonce
 * (RFC 9449 §8; this server always asks at the token endpoint), the handle keeps the nonce, the retry succeeds.
 */
async function withNonceRetry<T>(attempt: () => Promise<T>): Promise<{ result: T; retried: boolean }> {
  try {
    return { result: await attempt(), retried: false };
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
    return { result: await attempt(), retried: true };
  }
}

/** A fetch for oauth4webapi that records each request's DPoP header (to replay them) and may reroute it (a load balancer). */
function recordingFetch(reroute?: (url: URL) => string) {
  const sent: Array<{ url: string; dpop: string | null; body: string }> = [];
  const fetcher = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const target = reroute ? reroute(url) : url.href;
    const headers = new Headers(init?.headers);
    sent.push({ url: url.href, dpop: headers.get('dpop'), body: typeof init?.body === 'string' ? init.body : String(init?.body ?? '') });
    return fetch(target, init);
  };
  return { sent, fetcher };
}

async function signIn(server: TestServer, as: oauth.AuthorizationServer, app: OAuthApp, user: { email: string; password: string }, codeVerifier: string) {
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!.replace(as.issuer, server.url));
  for (const [name, value] of Object.entries({
    response_type: 'code', client_id: app.publishableKey, redirect_uri: app.redirectUri, state, scope: 'openid profile',
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', mode: 'api',
  })) url.searchParams.set(name, value);
  const { token } = await (await fetch(url)).json();
  const authorized = await authorizeStep3(server, app, await loginToken(server, app, user.email, user.password), token);
  return oauth.validateAuthResponse(as, { client_id: app.publishableKey }, new URL((await authorized.json()).url), state);
}

describeEachEngine('RFC 9449 DPoP at the token endpoint, with oauth4webapi', (engine) => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;

  beforeAll(async () => {
    server = await startTestServer(engine);
    const issuer = new URL(server.url);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }));
  });
  afterAll(() => server?.close());

  /** Code + PKCE with DPoP for a new user of `app`; the token response and the handle used. */
  async function codeGrant(app: OAuthApp, type: 'public' | 'confidential', dpop: oauth.DPoPHandle | undefined) {
    const client: oauth.Client = { client_id: app.publishableKey };
    const clientAuth = type === 'confidential' ? oauth.ClientSecretBasic(app.secretKey) : oauth.None();
    const user = await createPasswordUser(server);
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const params = await signIn(server, as, app, user, codeVerifier);
    const { result: tokens, retried } = await withNonceRetry(async () =>
      oauth.processAuthorizationCodeResponse(as, client, await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, app.redirectUri, codeVerifier, { ...options, ...(dpop ? { DPoP: dpop } : {}) })),
    );
    return { tokens, retried, client, clientAuth, user };
  }

  it('RFC 9449 §5.1: both discovery documents list dpop_signing_alg_values_supported (asymmetric only)', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const metadata = await (await server.request(path)).json();
      expect(metadata.dpop_signing_alg_values_supported).toContain('ES256');
      expect(metadata.dpop_signing_alg_values_supported).toContain('EdDSA');
      expect(metadata.dpop_signing_alg_values_supported.some((alg: string) => alg.startsWith('HS') || alg === 'none')).toBe(false);
    }
  });

  it('RFC 9449 §5, §6.1, §8: public client — nonce retry, DPoP token bound by cnf.jkt, refresh with the same key', async () => {
    const app = await createOAuthApp(server, { type: 'public' });
    const key = await dpopKey();
    const dpop = oauth.DPoP({}, key.keyPair);
    const { tokens, retried, client, clientAuth } = await codeGrant(app, 'public', dpop);
    expect(retried).toBe(true);
    expect(tokens.token_type).toBe('dpop');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.jkt });
    expect(await dpop.calculateThumbprint()).toBe(key.jkt);

    const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, { ...options, DPoP: dpop }));
    expect(refreshed.token_type).toBe('dpop');
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt: key.jkt });

    // A resource server (oauth4webapi's RFC 9068 + RFC 9449 validation) accepts the token only with a proof by the key.
    const resource = 'https://api.example/resource';
    const proofFor = async (accessToken: string) => (await oauth.protectedResourceRequest(accessToken, 'GET', new URL(resource), undefined, undefined, {
      ...options, DPoP: oauth.DPoP({}, key.keyPair), [oauth.customFetch]: async (_url, init) => new Response(JSON.stringify(Object.fromEntries(new Headers(init.headers))), { status: 200 }),
    }).then((r) => r.json())) as Record<string, string>;
    const sent = await proofFor(refreshed.access_token);
    const request = new Request(resource, { headers: { authorization: sent.authorization!, dpop: sent.dpop! } });
    const skew = { [oauth.clockSkew]: Math.floor((Date.now() - server.clock.now()) / 1000) };
    await expect(oauth.validateJwtAccessToken(as, request, server.url, { ...options, ...skew, requireDPoP: true })).resolves.toMatchObject({ cnf: { jkt: key.jkt } });
  });

  it('RFC 9449 §5: a public client\'s refresh token needs a proof by its key — another key or none is refused, and the token stays usable', async () => {
    const app = await createOAuthApp(server, { type: 'public' });
    const key = await dpopKey();
    const dpop = oauth.DPoP({}, key.keyPair);
    const { tokens, client, clientAuth } = await codeGrant(app, 'public', dpop);

    const thief = oauth.DPoP({}, (await dpopKey()).keyPair);
    const stolen = await withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, { ...options, DPoP: thief })),
    ).catch((error: unknown) => error);
    expect(stolen).toBeInstanceOf(oauth.ResponseBodyError);
    expect(stolen).toMatchObject({ error: 'invalid_dpop_proof', error_description: 'this refresh token is bound to another DPoP key', status: 400 });

    const bare = await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, options);
    expect(bare.status).toBe(400);
    expect(await bare.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'this refresh token is bound to a DPoP key: send a DPoP proof by that key' });

    // Neither refusal used the token up: its holder refreshes (no theft detection tripped).
    const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, { ...options, DPoP: dpop }));
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it('RFC 9449 §5: a public client\'s family started without DPoP is bound by its first refresh with a proof — no later refresh falls back to Bearer', async () => {
    const app = await createOAuthApp(server, { type: 'public' });
    const { tokens, client, clientAuth } = await codeGrant(app, 'public', undefined);
    expect(tokens.token_type).toBe('bearer');

    const key = await dpopKey();
    const dpop = oauth.DPoP({}, key.keyPair);
    const { result: bound } = await withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, { ...options, DPoP: dpop })),
    );
    expect(bound.token_type).toBe('dpop');
    expect(decodeJwt(bound.access_token).cnf).toEqual({ jkt: key.jkt });

    const bare = await oauth.refreshTokenGrantRequest(as, client, clientAuth, bound.refresh_token!, options);
    expect(bare.status).toBe(400);
    expect(await bare.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'this refresh token is bound to a DPoP key: send a DPoP proof by that key' });
    const thief = oauth.DPoP({}, (await dpopKey()).keyPair);
    const stolen = await withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, bound.refresh_token!, { ...options, DPoP: thief })),
    ).catch((error: unknown) => error);
    expect(stolen).toMatchObject({ error: 'invalid_dpop_proof', error_description: 'this refresh token is bound to another DPoP key' });

    const again = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, bound.refresh_token!, { ...options, DPoP: dpop }));
    expect(decodeJwt(again.access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it('RFC 9449 §5: a confidential client\'s refresh token is not bound — a refresh under a new key binds the new access token to it', async () => {
    const app = await createOAuthApp(server, { type: 'confidential' });
    const first = await dpopKey();
    const { tokens, client, clientAuth } = await codeGrant(app, 'confidential', oauth.DPoP({}, first.keyPair));
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: first.jkt });

    const second = await dpopKey();
    const secondHandle = oauth.DPoP({}, second.keyPair);
    const { result: refreshed } = await withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token!, { ...options, DPoP: secondHandle })),
    );
    expect(refreshed.token_type).toBe('dpop');
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt: second.jkt });

    // Without a proof: a bearer token again (token_type Bearer, no cnf).
    const bearer = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshed.refresh_token!, options));
    expect(bearer.token_type).toBe('bearer');
    expect(decodeJwt(bearer.access_token).cnf).toBeUndefined();
  });

  describe('RFC 9449 §7 at UserInfo and /v1/user; §6.2 introspection', () => {
    let app: OAuthApp;
    let key: Awaited<ReturnType<typeof dpopKey>>;
    let dpop: oauth.DPoPHandle;
    let tokens: oauth.TokenEndpointResponse;
    let client: oauth.Client;
    let oidc: oauth.AuthorizationServer;
    const userinfoUrl = () => `${server.url}/v1/auth/oauth/userinfo`;

    beforeAll(async () => {
      const issuer = new URL(server.url);
      oidc = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, options));
      app = await createOAuthApp(server, { type: 'confidential' });
      key = await dpopKey();
      dpop = oauth.DPoP({}, key.keyPair);
      ({ tokens, client } = await codeGrant(app, 'confidential', dpop));
    });

    it('RFC 9449 §7.1: oauth4webapi\'s UserInfo request (Authorization: DPoP, proof with ath) is answered', async () => {
      const response = await oauth.userInfoRequest(oidc, client, tokens.access_token, { ...options, DPoP: dpop });
      const info = await oauth.processUserInfoResponse(oidc, client, oauth.skipSubjectCheck, response);
      expect(info.sub).toBe(decodeJwt(tokens.access_token).sub);
    });

    it('RFC 9449 §7.1 (SPEC §13): /v1/user takes Authorization: DPoP with a proof too', async () => {
      const proof = await handMadeProof(key, { htm: 'GET', htu: `${server.url}/v1/user`, ath: athOf(tokens.access_token) });
      const response = await server.request('/v1/user', { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: proof } });
      expect(response.status).toBe(200);
    });

    it('RFC 9449 §7.2: a DPoP-bound token sent as a Bearer token is refused with a DPoP challenge', async () => {
      const response = await fetch(userinfoUrl(), { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: 'invalid_token', error_description: 'this access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof' });
      expect(response.headers.get('www-authenticate')).toMatch(/^DPoP realm="latchkey", error="invalid_token", error_description="[^"]+", algs="ES256 [^"]*"$/);
      const user = await server.request('/v1/user', { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(user.status).toBe(401);
      expect(user.headers.get('www-authenticate')).toMatch(/^DPoP /);
    });

    const refusals: Array<[string, (k: typeof key) => Promise<Record<string, string>>, string, string]> = [
      ['no DPoP header', async () => ({}), 'invalid_dpop_proof', 'a DPoP proof is required with a DPoP-bound access token'],
      ['§4.3 check 10: ath of another token', async (k) => ({ dpop: await handMadeProof(k, { htm: 'GET', htu: userinfoUrl(), ath: athOf('another-token') }) }), 'invalid_dpop_proof', 'the DPoP proof\'s ath does not match the access token'],
      ['§4.3 check 10: no ath', async (k) => ({ dpop: await handMadeProof(k, { htm: 'GET', htu: userinfoUrl() }) }), 'invalid_dpop_proof', 'the DPoP proof\'s ath does not match the access token'],
      ['§4.3 check 9: htu of the token endpoint', async (k) => ({ dpop: await handMadeProof(k, { htm: 'GET', htu: `${server.url}/v1/auth/oauth/token`, ath: athOf(tokens.access_token) }) }), 'invalid_dpop_proof', 'the DPoP proof\'s htu is not the URL of this request'],
      ['§4.3 check 8: htm POST for a GET', async (k) => ({ dpop: await handMadeProof(k, { htm: 'POST', htu: userinfoUrl(), ath: athOf(tokens.access_token) }) }), 'invalid_dpop_proof', 'the DPoP proof\'s htm is not the method of this request'],
      ['§4.3 check 12: a proof by another key than cnf.jkt', async () => ({ dpop: await handMadeProof(await dpopKey(), { htm: 'GET', htu: userinfoUrl(), ath: athOf(tokens.access_token) }) }), 'invalid_token', 'the DPoP proof is by another key than the access token\'s'],
    ];
    for (const [title, headers, error, description] of refusals) {
      it(`RFC 9449 ${title} → 401 ${error} with a DPoP challenge`, async () => {
        const response = await fetch(userinfoUrl(), { headers: { authorization: `DPoP ${tokens.access_token}`, ...(await headers(key)) } });
        expect(response.status).toBe(401);
        expect(await response.json()).toEqual({ error, error_description: description });
        expect(response.headers.get('www-authenticate')).toContain(`DPoP realm="latchkey", error="${error}"`);
      });
    }

    it('RFC 9449 §11.1: a proof replayed at UserInfo is refused', async () => {
      const proof = await handMadeProof(key, { htm: 'GET', htu: userinfoUrl(), ath: athOf(tokens.access_token) });
      const headers = { authorization: `DPoP ${tokens.access_token}`, dpop: proof };
      expect((await fetch(userinfoUrl(), { headers })).status).toBe(200);
      const replay = await fetch(userinfoUrl(), { headers });
      expect(replay.status).toBe(401);
      expect(await replay.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'the DPoP proof was already used (jti)' });
    });

    it('RFC 9449 §7.1: an unbound token under the DPoP scheme is refused', async () => {
      const bearer = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.ClientSecretBasic(app.secretKey), tokens.refresh_token!, options));
      const response = await fetch(userinfoUrl(), { headers: { authorization: `DPoP ${bearer.access_token}` } });
      expect(response.status).toBe(401);
      expect((await response.json()).error).toBe('invalid_token');
      expect((await fetch(userinfoUrl(), { headers: { authorization: `Bearer ${bearer.access_token}` } })).status).toBe(200);
    });

    it('RFC 9449 §6.2: introspection reports cnf.jkt and token_type DPoP', async () => {
      const fresh = await codeGrant(app, 'confidential', dpop);
      const introspection = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, oauth.ClientSecretBasic(app.secretKey), fresh.tokens.access_token, options));
      expect(introspection).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
    });
  });

  describe('refused proofs (RFC 9449 §4.3, §11.1)', () => {
    let app: OAuthApp;
    let key: Awaited<ReturnType<typeof dpopKey>>;
    let nonce: string;
    const tokenUrl = () => `${server.url}/v1/auth/oauth/token`;
    const clientCredentials = (dpop: string) => fetch(tokenUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.publishableKey}:${app.secretKey}`).toString('base64')}`, dpop },
      body: 'grant_type=client_credentials&scope=profile',
    });

    beforeAll(async () => {
      app = await createOAuthApp(server, { type: 'confidential' });
      key = await dpopKey();
      const first = await clientCredentials(await handMadeProof(key, { htm: 'POST', htu: tokenUrl() }));
      expect(first.status).toBe(400);
      expect(await first.json()).toEqual({ error: 'use_dpop_nonce', error_description: 'a DPoP nonce is required: use the one in the DPoP-Nonce header' });
      nonce = first.headers.get('dpop-nonce')!;
      expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{43}$/);
    });

    it('RFC 9449 §8: a proof with the nonce is accepted; the answer carries a nonce; token_type DPoP', async () => {
      const response = await clientCredentials(await handMadeProof(key, { htm: 'POST', htu: tokenUrl(), nonce }));
      expect(response.status).toBe(200);
      expect(response.headers.get('dpop-nonce')).toBe(nonce);
      const body = await response.json();
      expect(body.token_type).toBe('DPoP');
      expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: key.jkt });
    });

    it('RFC 9449 §11.1: a replayed proof (same jti) is refused', async () => {
      const proof = await handMadeProof(key, { htm: 'POST', htu: tokenUrl(), nonce });
      expect((await clientCredentials(proof)).status).toBe(200);
      const replay = await clientCredentials(proof);
      expect(replay.status).toBe(400);
      expect(await replay.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'the DPoP proof was already used (jti)' });
    });

    it('RFC 9449 §8: a forged or stale nonce gets use_dpop_nonce with the current one', async () => {
      const forged = await clientCredentials(await handMadeProof(key, { htm: 'POST', htu: tokenUrl(), nonce: `${nonce.split('.')[0]}.${'A'.repeat(43)}` }));
      expect(forged.status).toBe(400);
      expect((await forged.json()).error).toBe('use_dpop_nonce');
      expect(forged.headers.get('dpop-nonce')).toBe(nonce);
    });

    const cases: Array<[string, () => Promise<string>, string]> = [
      ['§4.3 check 9: htu of another endpoint', () => handMadeProof(key, { htm: 'POST', htu: `${server.url}/v1/auth/oauth/introspect`, nonce }), 'the DPoP proof\'s htu is not the URL of this request'],
      ['§4.3 check 9: htu of another server', () => handMadeProof(key, { htm: 'POST', htu: 'https://elsewhere.example/v1/auth/oauth/token', nonce }), 'the DPoP proof\'s htu is not the URL of this request'],
      ['§4.3 check 8: htm of another method', () => handMadeProof(key, { htm: 'GET', htu: tokenUrl(), nonce }), 'the DPoP proof\'s htm is not the method of this request'],
      ['§4.3 check 4: typ other than dpop+jwt', () => handMadeProof(key, { htm: 'POST', htu: tokenUrl(), nonce }, { typ: 'JWT' }), 'the DPoP proof\'s typ is not dpop+jwt'],
      ['§4.3 check 11: iat too old', () => handMadeProof(key, { htm: 'POST', htu: tokenUrl(), nonce, iat: Math.floor(Date.now() / 1000) - 300 }), 'the DPoP proof\'s iat is too far from now'],
      ['§4.3 check 6: signed by another key than its jwk', async () => handMadeProof(key, { htm: 'POST', htu: tokenUrl(), nonce }, { jwk: (await dpopKey()).jwk }), 'the DPoP proof\'s signature or claims are invalid'],
      ['§4.3 check 7: a private key in jwk', async () => {
        const jwk = await exportJWK(key.keyPair.privateKey);
        return handMadeProof(key, { htm: 'POST', htu: tokenUrl(), nonce }, { jwk });
      }, 'the DPoP proof\'s jwk must be a public key'],
      ['§4.3 check 5: a symmetric alg', async () => new SignJWT({ jti: 'x', htm: 'POST', htu: tokenUrl(), iat: Math.floor(Date.now() / 1000), nonce })
        .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.jwk }).sign(new Uint8Array(32)), 'the DPoP proof\'s alg is not supported'],
      ['§4.3 check 2: not a JWT', async () => 'not-a-jwt', 'the DPoP proof is not a JWS'],
    ];
    for (const [title, make, description] of cases) {
      it(`RFC 9449 ${title} → 400 invalid_dpop_proof`, async () => {
        const response = await clientCredentials(await make());
        expect(response.status).toBe(400);
        expect(await response.json()).toEqual({ error: 'invalid_dpop_proof', error_description: description });
      });
    }

    it('RFC 9449 §4.3 check 1: two DPoP headers → 400 invalid_dpop_proof', async () => {
      const proof = await handMadeProof(key, { htm: 'POST', htu: tokenUrl(), nonce });
      const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.publishableKey}:${app.secretKey}`).toString('base64')}` });
      headers.append('dpop', proof);
      headers.append('dpop', proof);
      const response = await fetch(tokenUrl(), { method: 'POST', headers, body: 'grant_type=client_credentials' });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'send exactly one DPoP header' });
    });

    it('RFC 9449 §4.3 check 9: htu is compared without query and fragment', async () => {
      const response = await clientCredentials(await handMadeProof(key, { htm: 'POST', htu: `${tokenUrl()}?x=1#frag`, nonce }));
      expect(response.status).toBe(200);
    });
  });

  it('SPEC §13: an application that requires DPoP gets 400 invalid_dpop_proof for a token request without a proof', async () => {
    const app = await createOAuthApp(server, { type: 'confidential' });
    await server.server.runtime.deps.store.updateApplication(app.id, { requireDpop: true });
    const client: oauth.Client = { client_id: app.publishableKey };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(app.secretKey), new URLSearchParams({ scope: 'profile' }), options);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'this client must send a DPoP proof with its token requests' });
    const dpopHandle = oauth.DPoP({}, (await dpopKey()).keyPair);
    const { result } = await withNonceRetry(async () => oauth.processClientCredentialsResponse(as, client,
      await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(app.secretKey), new URLSearchParams({ scope: 'profile' }), { ...options, DPoP: dpopHandle })));
    expect(result.token_type).toBe('dpop');
  });
});

describeEachEngine('RFC 9449 §8, §11.1 across two instances sharing one store (behind one issuer)', (engine) => {
  let database: TestDatabase;
  let servers: TestServer[];
  let as: oauth.AuthorizationServer;
  // Not a listening address: the load balancer's name, which the custom fetch below maps to an instance.
  const issuer = 'http://localhost:4999';

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    const env = { LATCHKEY_ISSUER: issuer };
    servers = [await startTestServer(engine, env, { sharedDatabase: database })];
    servers.push(await startTestServer(engine, env, { sharedDatabase: database }));
    const metadata = await servers[0]!.request('/.well-known/oauth-authorization-server');
    as = await oauth.processDiscoveryResponse(new URL(issuer), metadata);
  });
  afterAll(async () => {
    for (const server of servers ?? []) await server.close();
    await database?.drop();
  });

  it('a nonce from instance A is accepted by instance B; a proof used at A is refused as a replay at B', async () => {
    const [a, b] = servers as [TestServer, TestServer];
    const app = await createOAuthApp(a, { type: 'confidential' });
    const client: oauth.Client = { client_id: app.publishableKey };
    const clientAuth = oauth.ClientSecretBasic(app.secretKey);
    // The load balancer: the first request goes to A, every later one to B.
    let count = 0;
    const { sent, fetcher } = recordingFetch((url) => `${(count++ === 0 ? a : b).url}${url.pathname}${url.search}`);
    const dpop = oauth.DPoP({}, (await dpopKey()).keyPair);
    const grant = () => oauth.clientCredentialsGrantRequest(as, client, clientAuth, new URLSearchParams({ scope: 'profile' }), { ...options, DPoP: dpop, [oauth.customFetch]: fetcher });
    const { result, retried } = await withNonceRetry(async () => oauth.processClientCredentialsResponse(as, client, await grant()));
    expect(retried).toBe(true);
    expect(result.token_type).toBe('dpop');
    expect(count).toBe(2);

    // The proof B accepted, replayed at A: the jti is in the shared store.
    const accepted = sent[1]!;
    const replay = await fetch(`${a.url}/v1/auth/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.publishableKey}:${app.secretKey}`).toString('base64')}`, dpop: accepted.dpop! },
      body: accepted.body,
    });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'the DPoP proof was already used (jti)' });
  });
});
