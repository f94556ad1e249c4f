import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { authorizeStep3, createOAuthApp, createPasswordUser, initiate, loginToken, pkce, standardQuery, type OAuthApp } from './helpers/oauth.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// RFC 9126 pushed authorization requests (SPEC §13), driven by an independent client (oauth4webapi)
// from discovery; the user's sign-in (steps 2–3) in API mode, as an app's own login page would.
describeEachEngine('RFC 9126 pushed authorization requests', (engine) => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;
  const options = { [oauth.allowInsecureRequests]: true } as const;
  const REQUEST_URI = /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/;

  beforeAll(async () => {
    server = await startTestServer(engine);
    const issuer = new URL(server.url);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }));
  });
  afterAll(() => server?.close());

  const authOf = (app: OAuthApp, type: 'confidential' | 'public') => (type === 'confidential' ? oauth.ClientSecretBasic(app.secretKey) : oauth.None());

  /** Pushes the parameters of `standardQuery` (minus client_id and mode) with oauth4webapi. */
  async function push(app: OAuthApp, type: 'confidential' | 'public', extra: Record<string, string> = {}) {
    const { verifier, challenge } = pkce();
    const { client_id: _clientId, mode: _mode, ...parameters } = standardQuery(app, challenge, extra);
    const response = await oauth.pushedAuthorizationRequest(as, { client_id: app.publishableKey }, authOf(app, type), parameters, options);
    return { response, verifier };
  }

  /** Step 1 with client_id and request_uri only (API mode), then steps 2–3: the callback URL. */
  async function signInWith(app: OAuthApp, requestUri: string) {
    const started = await initiate(server, { client_id: app.publishableKey, request_uri: requestUri, mode: 'api' });
    expect(started.status).toBe(200);
    const user = await createPasswordUser(server);
    const authorized = await authorizeStep3(server, app, await loginToken(server, app, user.email, user.password), (await started.json()).token);
    expect(authorized.status).toBe(200);
    return { callback: new URL((await authorized.json()).url), user };
  }

  it('RFC 9126 §5: both discovery documents name the endpoint; PAR is not required server-wide', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const metadata = await (await server.request(path)).json();
      expect(metadata.pushed_authorization_request_endpoint).toBe(`${server.url}/v1/auth/oauth/par`);
      expect(metadata.require_pushed_authorization_requests).toBe(false);
    }
    expect(as.pushed_authorization_request_endpoint).toBe(`${server.url}/v1/auth/oauth/par`);
  });

  for (const type of ['confidential', 'public'] as const) {
    it(`RFC 9126 §2, §4: ${type} client — oauth4webapi pushes, the authorization endpoint takes client_id + request_uri, code + PKCE → tokens`, async () => {
      const app = await createOAuthApp(server, { type });
      const client: oauth.Client = { client_id: app.publishableKey };
      const { response, verifier } = await push(app, type);
      // RFC 9126 §2.2: 201 with the request_uri and its lifetime; never cached.
      expect(response.status).toBe(201);
      expect(response.headers.get('cache-control')).toContain('no-store');
      const pushed = await oauth.processPushedAuthorizationResponse(as, client, response);
      expect(pushed).toEqual({ request_uri: expect.stringMatching(REQUEST_URI), expires_in: 60 });

      const { callback, user } = await signInWith(app, pushed.request_uri);
      const params = oauth.validateAuthResponse(as, client, callback, 'state-1234567890');
      const tokens = await oauth.processAuthorizationCodeResponse(
        as, client, await oauth.authorizationCodeGrantRequest(as, client, authOf(app, type), params, app.redirectUri, verifier, options),
      );
      expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'openid profile' });
      const me = await server.request('/v1/user', { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect((await me.json()).id).toBe(user.id);
    });
  }

  it('RFC 9126 §4: a request_uri is single use — the second authorization request with it is invalid_request_uri', async () => {
    const app = await createOAuthApp(server);
    const pushed = await (await push(app, 'confidential')).response.json();
    expect((await initiate(server, { client_id: app.publishableKey, request_uri: pushed.request_uri, mode: 'api' })).status).toBe(200);
    const again = await initiate(server, { client_id: app.publishableKey, request_uri: pushed.request_uri, mode: 'api' });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: 'invalid_request_uri', error_description: 'request_uri is unknown, expired, already used or was pushed by another client' });
  });

  it('RFC 9126 §4: "An expired request_uri MUST be rejected as invalid" — 60 s', async () => {
    const app = await createOAuthApp(server);
    const late = await (await push(app, 'confidential')).response.json();
    const inTime = await (await push(app, 'confidential')).response.json();
    server.clock.advance(59);
    expect((await initiate(server, { client_id: app.publishableKey, request_uri: inTime.request_uri, mode: 'api' })).status).toBe(200);
    server.clock.advance(1);
    const refused = await initiate(server, { client_id: app.publishableKey, request_uri: late.request_uri, mode: 'api' });
    expect(refused.status).toBe(400);
    expect((await refused.json()).error).toBe('invalid_request_uri');
  });

  it('RFC 9126 §4: a request_uri belongs to the client that pushed it — another client is refused and does not spend it', async () => {
    const owner = await createOAuthApp(server);
    const other = await createOAuthApp(server);
    const pushed = await (await push(owner, 'confidential')).response.json();
    const refused = await initiate(server, { client_id: other.publishableKey, request_uri: pushed.request_uri, mode: 'api' });
    expect(refused.status).toBe(400);
    expect((await refused.json()).error).toBe('invalid_request_uri');
    expect((await initiate(server, { client_id: owner.publishableKey, request_uri: pushed.request_uri, mode: 'api' })).status).toBe(200);
  });

  it('RFC 9126 §4: a made-up request_uri of the PAR form is invalid_request_uri (JSON, no redirect); any other one is never fetched', async () => {
    const app = await createOAuthApp(server);
    const refused = await initiate(server, { client_id: app.publishableKey, request_uri: 'urn:ietf:params:oauth:request_uri:made-up' });
    expect(refused.status).toBe(400);
    expect((await refused.json()).error).toBe('invalid_request_uri');
    // Core §6.2 request objects by reference stay unsupported (test/oidc-authorization-request.test.ts).
    const byReference = await initiate(server, standardQuery(app, pkce().challenge, { request_uri: 'https://attacker.example/request.jwt' }));
    expect((await byReference.json()).error).toBe('request_uri_not_supported');
  });

  it('RFC 9126 §4: only the pushed parameters count — state and scope sent beside request_uri are ignored', async () => {
    const app = await createOAuthApp(server);
    const pushed = await (await push(app, 'confidential', { state: 'pushed-state', scope: 'profile' })).response.json();
    const started = await initiate(server, { client_id: app.publishableKey, request_uri: pushed.request_uri, mode: 'api', state: 'front', scope: 'openid email' });
    const request = await server.server.runtime.deps.store.getAuthorizationRequest(await requestIdOf(started));
    expect(request).toMatchObject({ state: 'pushed-state', scope: 'profile' });
  });

  it('RFC 9126 §4: in hosted mode a request_uri leads to the hosted page like any authorization request', async () => {
    const app = await createOAuthApp(server);
    const pushed = await (await push(app, 'confidential', { mode: '' })).response.json();
    const started = await initiate(server, { client_id: app.publishableKey, request_uri: pushed.request_uri });
    expect(started.status).toBe(302);
    expect(started.headers.get('location')).toMatch(new RegExp(`^${server.url}/oauth/authorize/azr_`));
  });

  it('RFC 9126 §6 / SPEC §13: an application that requires PAR refuses a plain request (invalid_request) and accepts a pushed one', async () => {
    const app = await createOAuthApp(server, { requirePushedAuthorizationRequests: true });
    const { challenge } = pkce();
    const plain = await initiate(server, standardQuery(app, challenge));
    expect(plain.status).toBe(400);
    expect(await plain.json()).toEqual({ error: 'invalid_request', error_description: 'this client must push its authorization requests (PAR, RFC 9126)' });
    // Hosted mode: the redirect URI is the client's, so the error goes back to it (RFC 6749 §4.1.2.1).
    const hosted = await initiate(server, standardQuery(app, challenge, { mode: '' }));
    expect(hosted.status).toBe(302);
    const location = new URL(hosted.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(app.redirectUri);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('state')).toBe('state-1234567890');
    const pushed = await (await push(app, 'confidential')).response.json();
    expect((await initiate(server, { client_id: app.publishableKey, request_uri: pushed.request_uri, mode: 'api' })).status).toBe(200);
  });

  it('SPEC §6.1 with RFC 9126 §4: a pushed mode=api request answers its errors as JSON — the pushed mode decides, not the front channel', async () => {
    const app = await createOAuthApp(server);
    const { challenge } = pkce();
    const { client_id: _c, ...parameters } = standardQuery(app, challenge, { scope: 'openid email' });
    const pushed = await oauth.pushedAuthorizationRequest(as, { client_id: app.publishableKey }, authOf(app, 'confidential'), parameters, options);
    expect(pushed.status).toBe(201);
    const { request_uri: requestUri } = await pushed.json();
    // Valid when pushed; the client's scopes shrink before the request is used, so step 1 fails after
    // the redirect URI is known — the kind of error hosted mode would redirect.
    await server.server.runtime.deps.store.updateApplication(app.id, { allowedScopes: ['openid', 'profile'] });
    const refused = await initiate(server, { client_id: app.publishableKey, request_uri: requestUri });
    expect(refused.status).toBe(400);
    expect((await refused.json()).error).toBe('invalid_scope');
  });

  it('RFC 9126 §2.1: request_uri inside a pushed request is invalid_request', async () => {
    const app = await createOAuthApp(server);
    const { response } = await push(app, 'confidential', { request_uri: 'urn:ietf:params:oauth:request_uri:x' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_request', error_description: 'request_uri must not be sent to the pushed authorization request endpoint' });
  });

  it('RFC 9126 §2.1, §2.3: the pushed request is validated like an authorization request; errors are JSON, never redirects', async () => {
    const app = await createOAuthApp(server, { type: 'public' });
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ redirect_uri: 'https://attacker.example/cb' }, 400, 'invalid_request'],
      [{ scope: 'admin' }, 400, 'invalid_scope'],
      [{ response_type: 'token' }, 400, 'unsupported_response_type'],
      [{ code_challenge_method: 'plain' }, 400, 'invalid_request'],
      [{ request: 'eyJ.x.y' }, 400, 'request_not_supported'],
    ];
    for (const [extra, status, error] of cases) {
      const { response } = await push(app, 'public', extra);
      expect([response.status, (await response.json()).error], JSON.stringify(extra)).toEqual([status, error]);
    }
  });

  it('RFC 9126 §2: client authentication as at the token endpoint — a wrong secret is 401 invalid_client; a confidential client without one too', async () => {
    const app = await createOAuthApp(server);
    const { challenge } = pkce();
    const { client_id: _c, mode: _m, ...parameters } = standardQuery(app, challenge);
    const wrong = await oauth.pushedAuthorizationRequest(as, { client_id: app.publishableKey }, oauth.ClientSecretBasic('sk_test_wrong'), parameters, options);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect((await wrong.json()).error).toBe('invalid_client');
    const none = await oauth.pushedAuthorizationRequest(as, { client_id: app.publishableKey }, oauth.None(), parameters, options);
    expect(none.status).toBe(401);
  });

  /** The authorization request id behind an API-mode step 1 answer (its hosted page URL ends with it). */
  async function requestIdOf(response: Response): Promise<string> {
    expect(response.status).toBe(200);
    return (await response.json()).url.split('/').pop();
  }
});
