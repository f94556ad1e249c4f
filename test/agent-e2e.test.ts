import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { setClientRegistration } from '../src/flows/client-registration-settings.js';
import { createLatchkeyServer, protectedResourceMetadataUrl, type LatchkeyVariables, type ProtectedResource } from '../src/sdk/server/index.js';
import { dpopKey } from './helpers/dpop.js';
import { describeEachEngine } from './helpers/engines.js';
import { createPasswordUser } from './helpers/oauth.js';
import { Browser, completeInteraction } from './helpers/oidc-rp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// Issue 19: an agent (an MCP client, say) that knows nothing but the URL of an API. The API is a tiny
// hono server protected with latchkey/server; the agent is oauth4webapi alone. From the API's 401 it
// reads `resource_metadata` (RFC 9728 §5.1), fetches the protected-resource metadata (§3), discovers
// the authorization server (RFC 8414), identifies itself by a Client ID Metadata Document served
// locally (or registers itself, RFC 7591), signs the person in through the hosted pages (consent
// marks it unverified), runs code + PKCE with `resource` = the API (RFC 8707), optionally DPoP-bound
// (RFC 9449), and calls the API; tokens for another audience are refused by it.
describeEachEngine('Agent end to end: RFC 9728 → RFC 8414 → CIMD / DCR → code + PKCE + resource (+ DPoP) → resource server', (engine) => {
  let server: TestServer;
  let documents: Server;
  let api: ServerType;
  let apiUrl: string;
  /** The API's resource identifier (its MCP endpoint), and another API's. */
  let resource: string;
  const otherResource = 'https://other-api.example/mcp';
  let protectedResource: ProtectedResource;
  let documentClientId: string;
  const redirectUri = 'http://127.0.0.1:9/callback';
  const options = { [oauth.allowInsecureRequests]: true } as const;

  beforeAll(async () => {
    // The agent's Client ID Metadata Document, on a local http server (the test-only
    // LATCHKEY_INSECURE_CLIENT_METADATA_FETCH lets Latchkey fetch it from loopback).
    documents = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify({
        client_id: documentClientId, client_name: 'MCP Agent', redirect_uris: [redirectUri], scope: 'profile',
        grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none',
      }));
    });
    await new Promise<void>((resolve) => documents.listen(0, '127.0.0.1', resolve));
    documentClientId = `http://127.0.0.1:${(documents.address() as AddressInfo).port}/agent.json`;

    // The resource server; its port is known before Latchkey starts so that Latchkey can list it in
    // LATCHKEY_CLIENT_REGISTRATION_RESOURCES, and its verifier is made once Latchkey's URL is known.
    const rs = new Hono<{ Variables: LatchkeyVariables }>();
    rs.use('*', async (c, next) => protectedResource.handleMetadataRequest(c.req.raw) ?? next());
    rs.get('/mcp', async (c, next) => protectedResource.honoMiddleware()(c, next), (c) => {
      const claims = c.get('latchkey') as { sub: string; aud: unknown; cnf?: unknown };
      return c.json({ sub: claims.sub, aud: claims.aud, cnf: claims.cnf ?? null });
    });
    api = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: rs.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
    });
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    resource = `${apiUrl}/mcp`;

    server = await startTestServer(engine, {
      LATCHKEY_INSECURE_CLIENT_METADATA_FETCH: 'true',
      LATCHKEY_CLIENT_REGISTRATION_RESOURCES: `${resource} ${otherResource}`,
      LATCHKEY_RATE_LIMIT_REGISTRATION_PER_IP: '100000/60',
    });
    protectedResource = createLatchkeyServer({ baseUrl: server.url, secretKey: 'sk_test_unused' }).protectedResource({ resource, scopesSupported: ['profile'], resourceName: 'Agent API' });
    const { deps } = server.server.runtime;
    await setClientRegistration(deps, (await deps.store.findOrganizationByName('default'))!.id, { clientIdMetadataDocuments: 'test', dynamicClientRegistration: 'test' });
  });
  afterAll(async () => {
    await new Promise((resolve) => api?.close(resolve));
    documents?.close();
    await server?.close();
  });

  /** RFC 9728 §5.1 → §3 → RFC 8414: what the agent learns from one unauthenticated call. */
  async function discoverFromApi(): Promise<oauth.AuthorizationServer> {
    const unauthenticated = await fetch(resource);
    expect(unauthenticated.status).toBe(401);
    const challenge = unauthenticated.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/^Bearer /);
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(metadataUrl).toBe(protectedResourceMetadataUrl(resource));
    // RFC 9728 §3.3: the document's `resource` must be the identifier the agent asked about.
    const rsMetadata = await oauth.processResourceDiscoveryResponse(new URL(resource), await oauth.resourceDiscoveryRequest(new URL(resource), options));
    expect(rsMetadata).toMatchObject({ resource, authorization_servers: [server.url], scopes_supported: ['profile'] });
    const issuer = new URL(rsMetadata.authorization_servers![0]!);
    return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }));
  }

  /**
   * The person signs in at the hosted pages (consent marks the client unverified), then code + PKCE:
   * the authorization request asks for `wanted` and, when given, `alsoGranted` (RFC 8707 §2.1: the
   * grant may cover several resources); the token request picks `wanted` (§2.2; none when null). With
   * a DPoP handle when given (the token endpoint always asks for a nonce first, RFC 9449 §8: one retry).
   */
  async function authorize(as: oauth.AuthorizationServer, client: oauth.Client, wanted: string | null, dpop?: oauth.DPoPHandle, alsoGranted?: string) {
    const user = await createPasswordUser(server);
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    for (const [name, value] of Object.entries({
      response_type: 'code', client_id: client.client_id, redirect_uri: redirectUri, state, scope: 'profile',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    })) url.searchParams.set(name, value);
    for (const granted of [wanted, alsoGranted]) if (granted) url.searchParams.append('resource', granted);
    const browser = new Browser(server);
    const interaction = await completeInteraction(server, browser, await browser.navigate(url.toString()), user);
    expect(interaction.sawLogin).toBe(true);
    expect(interaction.sawConsent).toBe(true);
    const consent = browser.pages.find((page) => page.html.includes('name="decision" value="approve"'))!.html;
    expect(consent).toContain('<strong>Unverified app.</strong>');
    expect(interaction.landing.kind).toBe('redirect');
    const params = oauth.validateAuthResponse(as, client, (interaction.landing as { url: URL }).url, state);
    const grant = async () => oauth.processAuthorizationCodeResponse(as, client, await oauth.authorizationCodeGrantRequest(
      as, client, oauth.None(), params, redirectUri, verifier, { ...options, ...(wanted ? { additionalParameters: { resource: wanted } } : {}), ...(dpop ? { DPoP: dpop } : {}) },
    ));
    const tokens = await withNonceRetry(grant);
    return { tokens, user };
  }

  async function withNonceRetry<T>(attempt: () => Promise<T>): Promise<T> {
    try {
      return await attempt();
    } catch (error) {
      if (!oauth.isDPoPNonceError(error)) throw error;
      return attempt();
    }
  }

  /** The agent calls the API as oauth4webapi does (Authorization: Bearer, or DPoP with a proof). */
  const callApi = (token: string, dpop?: oauth.DPoPHandle) => oauth.protectedResourceRequest(token, 'GET', new URL(resource), undefined, undefined, { ...options, ...(dpop ? { DPoP: dpop } : {}) });

  /** The API's refusal: oauth4webapi rejects a 401 challenge; its first challenge's `error`. */
  async function refusal(call: Promise<Response>): Promise<{ scheme: string; error: string | undefined }> {
    const error = await call.then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const [challenge] = (error as oauth.WWWAuthenticateChallengeError).cause;
    expect(challenge!.parameters.resource_metadata).toBe(protectedResourceMetadataUrl(resource));
    return { scheme: challenge!.scheme, error: challenge!.parameters.error };
  }

  /** An agent identified by its Client ID Metadata Document (public client: no secret). */
  const documentClient = (): oauth.Client => ({ client_id: documentClientId, token_endpoint_auth_method: 'none' });

  /** An agent that registers itself at the advertised registration_endpoint (RFC 7591 §3.1). */
  async function registeredClient(as: oauth.AuthorizationServer): Promise<oauth.Client> {
    expect(as.registration_endpoint).toBe(`${server.url}/v1/auth/oauth/register`);
    const response = await fetch(as.registration_endpoint!, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ client_name: 'Registered Agent', redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none', scope: 'profile' }),
    });
    expect(response.status).toBe(201);
    return { client_id: (await response.json()).client_id, token_endpoint_auth_method: 'none' };
  }

  for (const registration of ['metadata document', 'dynamic registration'] as const) {
    it(`${registration}, bearer: from the API's 401 to an accepted token; tokens for another resource or for the issuer are refused`, async () => {
      const as = await discoverFromApi();
      expect(as.client_id_metadata_document_supported).toBe(true);
      const client = registration === 'metadata document' ? documentClient() : await registeredClient(as);

      const { tokens, user } = await authorize(as, client, resource, undefined, otherResource);
      expect(tokens.token_type).toBe('bearer');
      expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: resource, client_id: client.client_id, sub: user.id });
      const accepted = await callApi(tokens.access_token);
      expect(accepted.status).toBe(200);
      expect(await accepted.json()).toEqual({ sub: user.id, aud: resource, cnf: null });

      // RFC 8707 §2.2: a refresh narrowed to the other granted resource — a good token, not for this API.
      const other = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(
        as, client, oauth.None(), tokens.refresh_token!, { ...options, additionalParameters: { resource: otherResource } },
      ));
      expect(decodeJwt(other.access_token).aud).toBe(otherResource);
      expect(await refusal(callApi(other.access_token))).toEqual({ scheme: 'bearer', error: 'invalid_token' });

      // Without `resource` the token's audience is the issuer (SPEC §9): not for this API either.
      const { tokens: issuerTokens } = await authorize(as, client, null);
      expect(decodeJwt(issuerTokens.access_token).aud).toBe(server.url);
      expect(await refusal(callApi(issuerTokens.access_token))).toEqual({ scheme: 'bearer', error: 'invalid_token' });

      // A resource the deployment does not list for such clients is invalid_target (RFC 8707 §2).
      const unlisted = new URL(as.authorization_endpoint!);
      for (const [name, value] of Object.entries({
        response_type: 'code', client_id: client.client_id, redirect_uri: redirectUri, state: 's', scope: 'profile',
        code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()), code_challenge_method: 'S256', resource: 'https://unlisted.example/mcp',
      })) unlisted.searchParams.set(name, value);
      const refused = await fetch(unlisted, { redirect: 'manual' });
      expect(new URL(refused.headers.get('location')!).searchParams.get('error')).toBe('invalid_target');
    });

    it(`${registration}, DPoP: the token is bound to the agent's key and the API checks the proof (RFC 9449 §7)`, async () => {
      const as = await discoverFromApi();
      const client = registration === 'metadata document' ? documentClient() : await registeredClient(as);
      const key = await dpopKey();
      const dpop = oauth.DPoP(client, key.keyPair);

      const { tokens, user } = await authorize(as, client, resource, dpop, otherResource);
      expect(tokens.token_type).toBe('dpop');
      expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: resource, cnf: { jkt: key.jkt } });
      const accepted = await callApi(tokens.access_token, dpop);
      expect(accepted.status).toBe(200);
      expect(await accepted.json()).toEqual({ sub: user.id, aud: resource, cnf: { jkt: key.jkt } });

      // §7.2: the bound token without its proof (as a Bearer token) is refused; so is a proof by another key.
      expect(await refusal(callApi(tokens.access_token))).toEqual({ scheme: 'dpop', error: 'invalid_token' });
      const stranger = oauth.DPoP(client, (await dpopKey()).keyPair);
      expect(await refusal(callApi(tokens.access_token, stranger))).toEqual({ scheme: 'dpop', error: 'invalid_dpop_proof' });

      // The refreshed token (same key, RFC 9449 §5) for the other resource is bound but not for this API.
      const other = await withNonceRetry(async () => oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(
        as, client, oauth.None(), tokens.refresh_token!, { ...options, additionalParameters: { resource: otherResource }, DPoP: dpop },
      )));
      expect(decodeJwt(other.access_token)).toMatchObject({ aud: otherResource, cnf: { jkt: key.jkt } });
      expect(await refusal(callApi(other.access_token, dpop))).toEqual({ scheme: 'dpop', error: 'invalid_token' });
    });
  }
});
