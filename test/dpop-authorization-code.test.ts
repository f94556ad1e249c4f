import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dpopKey, dpopProof } from './helpers/dpop.js';
import { describeEachEngine } from './helpers/engines.js';
import { authorizeStep3, createOAuthApp, createPasswordUser, initiate, loginToken, pkce, standardQuery, type OAuthApp } from './helpers/oauth.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// RFC 9449 §10 authorization-code binding: `dpop_jkt` at the authorization endpoint and at PAR, or a
// DPoP proof sent to PAR (§10.1) — the code is then redeemed only with a proof by that key. Driven by
// oauth4webapi (its DPoP handle at PAR, `dpop_jkt` as a parameter); raw requests for the refusals.
describeEachEngine('RFC 9449 §10 DPoP authorization-code binding', (engine) => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;
  const options = { [oauth.allowInsecureRequests]: true } as const;

  beforeAll(async () => {
    server = await startTestServer(engine);
    const issuer = new URL(server.url);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }));
  });
  afterAll(() => server?.close());

  const parUrl = () => `${server.url}/v1/auth/oauth/par`;
  const tokenUrl = () => `${server.url}/v1/auth/oauth/token`;

  /** oauth4webapi's first DPoP token request is refused with use_dpop_nonce (RFC 9449 §8); the handle keeps the nonce. */
  async function withNonceRetry<T>(attempt: () => Promise<T>): Promise<T> {
    try {
      return await attempt();
    } catch (error) {
      if (!oauth.isDPoPNonceError(error)) throw error;
      return attempt();
    }
  }

  /** Steps 1–3 in API mode from `query`: the validated callback parameters. */
  async function signIn(app: OAuthApp, query: Record<string, string>) {
    const started = await initiate(server, query);
    expect(started.status).toBe(200);
    const user = await createPasswordUser(server);
    const authorized = await authorizeStep3(server, app, await loginToken(server, app, user.email, user.password), (await started.json()).token);
    expect(authorized.status).toBe(200);
    return oauth.validateAuthResponse(as, { client_id: app.publishableKey }, new URL((await authorized.json()).url), 'state-1234567890');
  }

  /** Pushes the standard parameters (plus `extra`) with oauth4webapi, with a DPoP handle when given. */
  async function push(app: OAuthApp, challenge: string, extra: Record<string, string>, dpop?: oauth.DPoPHandle) {
    const { client_id: _clientId, mode: _mode, ...parameters } = standardQuery(app, challenge, extra);
    return oauth.pushedAuthorizationRequest(as, { client_id: app.publishableKey }, oauth.None(), parameters, { ...options, ...(dpop ? { DPoP: dpop } : {}) });
  }

  async function redeem(app: OAuthApp, params: URLSearchParams, verifier: string, dpop?: oauth.DPoPHandle) {
    const client = { client_id: app.publishableKey };
    return oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, app.redirectUri, verifier, { ...options, ...(dpop ? { DPoP: dpop } : {}) });
  }

  /** A bound code: without a proof, and with another key's, 400 invalid_dpop_proof and the code stays usable; then redeemed by the key. */
  async function expectBoundTo(app: OAuthApp, params: URLSearchParams, verifier: string, key: Awaited<ReturnType<typeof dpopKey>>) {
    const bare = await redeem(app, params, verifier);
    expect(bare.status).toBe(400);
    expect(await bare.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'this authorization code is bound to a DPoP key (dpop_jkt): send a DPoP proof by that key' });
    const other = oauth.DPoP({}, (await dpopKey()).keyPair);
    const client = { client_id: app.publishableKey };
    const refused = await withNonceRetry(async () => oauth.processAuthorizationCodeResponse(as, client, await redeem(app, params, verifier, other))).catch((error: unknown) => error);
    expect(refused).toMatchObject({ error: 'invalid_dpop_proof', error_description: 'this authorization code is bound to another DPoP key (dpop_jkt)', status: 400 });
    const dpop = oauth.DPoP({}, key.keyPair);
    const tokens = await withNonceRetry(async () => oauth.processAuthorizationCodeResponse(as, client, await redeem(app, params, verifier, dpop)));
    expect(tokens.token_type).toBe('dpop');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.jkt });
  }

  it('RFC 9449 §10.1: oauth4webapi\'s DPoP handle at PAR binds the code to its key (htu: the PAR URL)', async () => {
    const app = await createOAuthApp(server, { type: 'public' });
    const key = await dpopKey();
    const { verifier, challenge } = pkce();
    const response = await push(app, challenge, {}, oauth.DPoP({}, key.keyPair));
    expect(response.status).toBe(201);
    const pushed = await oauth.processPushedAuthorizationResponse(as, { client_id: app.publishableKey }, response);
    const params = await signIn(app, { client_id: app.publishableKey, request_uri: pushed.request_uri, mode: 'api' });
    await expectBoundTo(app, params, verifier, key);
  });

  it('RFC 9449 §10: dpop_jkt at the authorization endpoint (oauth4webapi\'s calculateThumbprint) binds the code', async () => {
    const app = await createOAuthApp(server, { type: 'public' });
    const key = await dpopKey();
    const dpopJkt = await oauth.DPoP({}, key.keyPair).calculateThumbprint();
    expect(dpopJkt).toBe(key.jkt);
    const { verifier, challenge } = pkce();
    const params = await signIn(app, standardQuery(app, challenge, { dpop_jkt: dpopJkt }));
    await expectBoundTo(app, params, verifier, key);
  });

  it('RFC 9449 §10: dpop_jkt pushed to PAR without a proof binds the code too', async () => {
    const app = await createOAuthApp(server, { type: 'public' });
    const key = await dpopKey();
    const { verifier, challenge } = pkce();
    const pushed = await oauth.processPushedAuthorizationResponse(as, { client_id: app.publishableKey }, await push(app, challenge, { dpop_jkt: key.jkt }));
    const params = await signIn(app, { client_id: app.publishableKey, request_uri: pushed.request_uri, mode: 'api' });
    await expectBoundTo(app, params, verifier, key);
  });

  it('RFC 9449 §10: a code without dpop_jkt is redeemed with or without a proof, as before', async () => {
    const app = await createOAuthApp(server, { type: 'public' });
    const { verifier, challenge } = pkce();
    const params = await signIn(app, standardQuery(app, challenge));
    const tokens = await oauth.processAuthorizationCodeResponse(as, { client_id: app.publishableKey }, await redeem(app, params, verifier));
    expect(tokens.token_type).toBe('bearer');
  });

  /** A raw PAR request of a public client, with a DPoP header when given. */
  function rawPush(app: OAuthApp, extra: Record<string, string>, dpop?: string) {
    const { mode: _mode, ...parameters } = standardQuery(app, pkce().challenge, extra);
    return server.request('/v1/auth/oauth/par', {
      method: 'POST', body: new URLSearchParams(parameters).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(dpop ? { dpop } : {}) },
    });
  }

  it('RFC 9449 §10, §10.1: at PAR a malformed dpop_jkt is invalid_request; a proof by another key than dpop_jkt, or for another URL, is invalid_dpop_proof', async () => {
    const app = await createOAuthApp(server, { type: 'public' });
    const key = await dpopKey();
    for (const malformed of ['short', `${key.jkt}A`, `${key.jkt.slice(0, 42)}=`, `${key.jkt.slice(0, 42)}+`]) {
      const response = await rawPush(app, { dpop_jkt: malformed });
      expect(response.status, malformed).toBe(400);
      expect(await response.json()).toEqual({ error: 'invalid_request', error_description: 'dpop_jkt must be a JWK SHA-256 thumbprint: 43 base64url characters' });
    }
    const mismatch = await rawPush(app, { dpop_jkt: (await dpopKey()).jkt }, await dpopProof(key, 'POST', parUrl()));
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'dpop_jkt does not match the key of the DPoP proof' });
    const elsewhere = await rawPush(app, { dpop_jkt: key.jkt }, await dpopProof(key, 'POST', tokenUrl()));
    expect(elsewhere.status).toBe(400);
    expect((await elsewhere.json()).error).toBe('invalid_dpop_proof');
    const matching = await rawPush(app, { dpop_jkt: key.jkt }, await dpopProof(key, 'POST', parUrl()));
    expect(matching.status).toBe(201);
  });

  it('RFC 9449 §10: a malformed dpop_jkt at the authorization endpoint is invalid_request', async () => {
    const app = await createOAuthApp(server, { type: 'public' });
    const response = await initiate(server, standardQuery(app, pkce().challenge, { dpop_jkt: 'not-a-thumbprint' }));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request', error_description: 'dpop_jkt must be a JWK SHA-256 thumbprint: 43 base64url characters' });
  });
});
