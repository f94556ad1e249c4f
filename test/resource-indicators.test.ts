import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createLatchkeyServer, protectedResourceMetadataUrl, type LatchkeyVariables, type ProtectedResource } from '../src/sdk/server/index.js';
import { describeEachEngine } from './helpers/engines.js';
import { authorizeStep3, basicOf, createOAuthApp, createPasswordUser, initiate, loginToken, pkce, standardQuery, tokenRequest, type OAuthApp } from './helpers/oauth.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// RFC 8707 resource indicators and RFC 9728 protected-resource metadata (SPEC §13), end to end: a
// resource server built with latchkey/server publishes its metadata; an independent client
// (oauth4webapi) discovers the authorization server from it, runs code + PKCE with `resource`, and
// the resource server accepts the token only when it was issued for it.
describeEachEngine('RFC 8707 resource indicators and RFC 9728 protected-resource metadata', (engine) => {
  let server: TestServer;
  let api: ServerType;
  let apiUrl: string;
  /** The API's resource identifier, and another API's. */
  let resource: string;
  const otherResource = 'https://other-api.example/v1';
  let protectedResource: ProtectedResource;
  let app: OAuthApp;
  const options = { [oauth.allowInsecureRequests]: true } as const;

  beforeAll(async () => {
    server = await startTestServer(engine);
    // The resource server: a tiny hono API using latchkey/server, on a port of its own.
    const rs = new Hono<{ Variables: LatchkeyVariables }>();
    api = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: rs.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
    });
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    resource = `${apiUrl}/mcp`;
    protectedResource = createLatchkeyServer({ baseUrl: server.url, secretKey: 'sk_test_unused' }).protectedResource({ resource, scopesSupported: ['profile'], resourceName: 'Test API' });
    rs.use('*', async (c, next) => protectedResource.handleMetadataRequest(c.req.raw) ?? next());
    rs.get('/mcp', protectedResource.honoMiddleware(), (c) => c.json({ sub: c.get('latchkey').sub, aud: c.get('latchkey').aud }));
    app = await createOAuthApp(server, { type: 'public', scopes: ['profile'], resources: [resource, otherResource] });
  });
  afterAll(async () => {
    await new Promise((resolve) => api?.close(resolve));
    await server?.close();
  });

  /** Steps 1–3 in API mode with the given `resource` values: the code and its verifier. */
  async function codeFor(resources: string[], client: OAuthApp = app) {
    const { verifier, challenge } = pkce();
    const query: Array<[string, string]> = [...Object.entries(standardQuery(client, challenge, { scope: 'profile' })), ...resources.map((r): [string, string] => ['resource', r])];
    const started = await initiate(server, query);
    expect(started.status).toBe(200);
    const user = await createPasswordUser(server);
    const authorized = await authorizeStep3(server, client, await loginToken(server, client, user.email, user.password), (await started.json()).token);
    return { code: (await authorized.json()).code as string, verifier, user };
  }

  const exchange = (code: string, verifier: string, extra: Array<[string, string]> = [], client: OAuthApp = app) =>
    tokenRequest(server, [['grant_type', 'authorization_code'], ['code', code], ['redirect_uri', client.redirectUri], ['code_verifier', verifier], ['client_id', client.publishableKey], ...extra]);

  const callApi = (token?: string) => fetch(`${apiUrl}/mcp`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it('RFC 9728 end to end: the API\'s 401 points at its metadata, the client discovers the authorization server, code + PKCE with resource, the API accepts its token and refuses one for another resource', async () => {
    // RFC 9728 §5.1: the challenge names the metadata document.
    const unauthenticated = await callApi();
    expect(unauthenticated.status).toBe(401);
    const challenge = unauthenticated.headers.get('www-authenticate')!;
    expect(challenge).toContain(`resource_metadata="${apiUrl}/.well-known/oauth-protected-resource/mcp"`);

    // RFC 9728 §3: discovery of the resource, then of its authorization server (RFC 8414).
    const rsMetadata = await oauth.processResourceDiscoveryResponse(new URL(resource), await oauth.resourceDiscoveryRequest(new URL(resource), options));
    expect(rsMetadata).toEqual({
      resource, authorization_servers: [server.url], bearer_methods_supported: ['header'], scopes_supported: ['profile'],
      resource_name: 'Test API', resource_signing_alg_values_supported: ['EdDSA', 'RS256'],
    });
    const issuer = new URL(rsMetadata.authorization_servers![0]!);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }));

    // Code + PKCE with two resources granted; the token request picks one (RFC 8707 §2.2).
    const client: oauth.Client = { client_id: app.publishableKey };
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const url = new URL(as.authorization_endpoint!);
    for (const [name, value] of Object.entries({
      response_type: 'code', client_id: app.publishableKey, redirect_uri: app.redirectUri, state: 'st', scope: 'profile',
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', mode: 'api',
    })) url.searchParams.set(name, value);
    url.searchParams.append('resource', resource);
    url.searchParams.append('resource', otherResource);
    const { token: sessionToken } = await (await fetch(url)).json();
    const user = await createPasswordUser(server);
    const authorized = await authorizeStep3(server, app, await loginToken(server, app, user.email, user.password), sessionToken);
    const params = oauth.validateAuthResponse(as, client, new URL((await authorized.json()).url), 'st');
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, await oauth.authorizationCodeGrantRequest(
      as, client, oauth.None(), params, app.redirectUri, codeVerifier, { ...options, additionalParameters: { resource } },
    ));
    expect(decodeJwt(tokens.access_token).aud).toBe(resource);

    const accepted = await callApi(tokens.access_token);
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ sub: user.id, aud: resource });

    // A refresh narrowed to the other resource: a good token — but not for this API.
    const other = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(
      as, client, oauth.None(), tokens.refresh_token!, { ...options, additionalParameters: { resource: otherResource } },
    ));
    expect(decodeJwt(other.access_token).aud).toBe(otherResource);
    const refused = await callApi(other.access_token);
    expect(refused.status).toBe(401);
    expect((await refused.json()).error).toBe('invalid_token');
    // A refresh that names no resource keeps the audience of the family's first token.
    const again = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.None(), other.refresh_token!, options));
    expect(decodeJwt(again.access_token).aud).toBe(resource);
    expect((await callApi(again.access_token)).status).toBe(200);
  });

  it('RFC 9728 §3.1: the metadata URL puts the well-known suffix between the host and the resource\'s path', () => {
    expect(protectedResourceMetadataUrl('https://api.example')).toBe('https://api.example/.well-known/oauth-protected-resource');
    expect(protectedResourceMetadataUrl('https://api.example/')).toBe('https://api.example/.well-known/oauth-protected-resource');
    expect(protectedResourceMetadataUrl('https://api.example:8443/v1/mcp')).toBe('https://api.example:8443/.well-known/oauth-protected-resource/v1/mcp');
  });

  it('RFC 9728 §5.1 / RFC 8707: the Express (node:http) middleware of a protected resource takes its own tokens only and names its metadata in challenges', async () => {
    const plain: Server = createServer((req, res) => {
      const next = () => res.end(JSON.stringify({ aud: (req as { latchkey?: { aud: unknown } }).latchkey?.aud }));
      protectedResource.expressMiddleware()(req, res, next);
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/`;
      const { code, verifier } = await codeFor([resource]);
      const tokens = await (await exchange(code, verifier)).json();
      const ok = await fetch(url, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(await ok.json()).toEqual({ aud: resource });
      const other = await codeFor([]);
      const foreign = await (await exchange(other.code, other.verifier)).json();
      const refused = await fetch(url, { headers: { authorization: `Bearer ${foreign.access_token}` } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", resource_metadata=".*\/\.well-known\/oauth-protected-resource\/mcp", error="invalid_token"/);
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it('RFC 8707 §2: without resource the token keeps this server\'s audience (and the API refuses it; Latchkey\'s own /v1/user takes it)', async () => {
    const { code, verifier, user } = await codeFor([]);
    const tokens = await (await exchange(code, verifier)).json();
    expect(decodeJwt(tokens.access_token).aud).toBe(server.url);
    expect((await callApi(tokens.access_token)).status).toBe(401);
    const me = await server.request('/v1/user', { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect((await me.json()).id).toBe(user.id);
  });

  it('RFC 8707 §2: a token for a resource is not a credential at Latchkey\'s own endpoints; introspection still reports it, with its aud', async () => {
    const confidential = await createOAuthApp(server, { scopes: ['profile'], resources: [resource] });
    const { code, verifier } = await codeFor([resource], confidential);
    const tokens = await (await exchange(code, verifier, [['client_secret', confidential.secretKey]], confidential)).json();
    expect((await server.request('/v1/user', { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
    const introspected = await server.request('/v1/auth/oauth/introspect', {
      method: 'POST', body: new URLSearchParams({ token: tokens.access_token }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${confidential.publishableKey}:${confidential.secretKey}`).toString('base64')}` },
    });
    expect(await introspected.json()).toMatchObject({ active: true, aud: resource });
  });

  it('RFC 8707 §2: at the authorization endpoint a resource the application does not list, a relative URI or one with a fragment → invalid_target', async () => {
    for (const bad of ['https://unlisted.example/api', '/mcp', `${resource}#frag`]) {
      const { challenge } = pkce();
      const response = await initiate(server, [...Object.entries(standardQuery(app, challenge, { scope: 'profile' })), ['resource', bad]]);
      expect(response.status, bad).toBe(400);
      expect((await response.json()).error).toBe('invalid_target');
    }
    // Hosted mode: sent back to the redirect URI (RFC 6749 §4.1.2.1).
    const { challenge } = pkce();
    const hosted = await initiate(server, [...Object.entries(standardQuery(app, challenge, { scope: 'profile', mode: '' })), ['resource', 'https://unlisted.example/api']]);
    expect(hosted.status).toBe(302);
    expect(new URL(hosted.headers.get('location')!).searchParams.get('error')).toBe('invalid_target');
  });

  it('RFC 8707 §2.2: at the token endpoint a resource not granted, two resources, or none when two were granted → invalid_target, and the code stays usable', async () => {
    const { code, verifier } = await codeFor([resource, otherResource]);
    for (const extra of [[['resource', 'https://unlisted.example/api']], [['resource', resource], ['resource', otherResource]], []] as Array<Array<[string, string]>>) {
      const refused = await exchange(code, verifier, extra);
      expect(refused.status, JSON.stringify(extra)).toBe(400);
      expect((await refused.json()).error).toBe('invalid_target');
    }
    const granted = await exchange(code, verifier, [['resource', otherResource]]);
    expect(granted.status).toBe(200);
    expect(decodeJwt((await granted.json()).access_token).aud).toBe(otherResource);
  });

  it('RFC 8707 §2.2: a refresh may narrow, never widen — a resource outside the grant is invalid_target and the refresh token stays usable', async () => {
    const { code, verifier } = await codeFor([resource]);
    const tokens = await (await exchange(code, verifier)).json();
    expect(decodeJwt(tokens.access_token).aud).toBe(resource);
    const widened = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: app.publishableKey, resource: otherResource });
    expect(widened.status).toBe(400);
    expect(await widened.json()).toEqual({ error: 'invalid_target', error_description: `resource ${otherResource} was not granted` });
    const kept = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: app.publishableKey });
    expect(kept.status).toBe(200);
    expect(decodeJwt((await kept.json()).access_token).aud).toBe(resource);
  });

  it('RFC 8707 §2 with RFC 9126: resource values are pushed (repeated) and granted like sent ones', async () => {
    const { verifier, challenge } = pkce();
    const { client_id: _c, mode: _m, ...pushedParams } = standardQuery(app, challenge, { scope: 'profile' });
    const body = new URLSearchParams({ ...pushedParams, client_id: app.publishableKey });
    body.append('resource', resource);
    body.append('resource', otherResource);
    const pushed = await server.request('/v1/auth/oauth/par', { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(pushed.status).toBe(201);
    const started = await initiate(server, { client_id: app.publishableKey, request_uri: (await pushed.json()).request_uri, mode: 'api' });
    const user = await createPasswordUser(server);
    const authorized = await authorizeStep3(server, app, await loginToken(server, app, user.email, user.password), (await started.json()).token);
    const tokens = await (await exchange((await authorized.json()).code, verifier, [['resource', resource]])).json();
    expect((await callApi(tokens.access_token)).status).toBe(200);
    body.set('resource', 'https://unlisted.example/api');
    const refused = await server.request('/v1/auth/oauth/par', { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect([refused.status, (await refused.json()).error]).toEqual([400, 'invalid_target']);
  });

  it('RFC 8707 §2: client_credentials — the one resource asked for among the application\'s; an unlisted one → invalid_target', async () => {
    const machine = await createOAuthApp(server, { scopes: ['profile'], resources: [resource] });
    const granted = await tokenRequest(server, { grant_type: 'client_credentials', resource }, basicOf(machine));
    expect(granted.status).toBe(200);
    const token = (await granted.json()).access_token;
    expect(decodeJwt(token)).toMatchObject({ aud: resource, sub: machine.id });
    expect((await callApi(token)).status).toBe(200);
    const refused = await tokenRequest(server, { grant_type: 'client_credentials', resource: otherResource }, basicOf(machine));
    expect(await refused.json()).toEqual({ error: 'invalid_target', error_description: `resource ${otherResource} is not allowed for this client` });
    const plain = await tokenRequest(server, { grant_type: 'client_credentials' }, basicOf(machine));
    expect(decodeJwt((await plain.json()).access_token).aud).toBe(server.url);
  });
});
