import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setClientRegistration } from '../src/flows/client-registration-settings.js';
import { describeEachEngine } from './helpers/engines.js';
import { createPasswordUser, initiate, pkce } from './helpers/oauth.js';
import { Browser, completeInteraction } from './helpers/oidc-rp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// SPEC §13, draft-ietf-oauth-client-id-metadata-document-01 (CIMD): an agent presents the URL of its
// metadata document as client_id; Latchkey fetches it (from a local test server: the test-only
// LATCHKEY_INSECURE_CLIENT_METADATA_FETCH allows http on loopback) and oauth4webapi completes code + PKCE.
describeEachEngine('Client ID Metadata Documents', (engine) => {
  let server: TestServer;
  let documents: Server;
  let base: string;
  let clientId: string;
  let hits = 0;
  let document: Record<string, unknown>;
  let cacheControl = 'no-store';
  const redirectUri = 'http://127.0.0.1:9/callback';
  const options = { [oauth.allowInsecureRequests]: true } as const;

  beforeAll(async () => {
    documents = createServer((request, response) => {
      hits++;
      if (request.url === '/other.json') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ...document, client_id: `${base}/client.json` }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': cacheControl });
      response.end(JSON.stringify(document));
    });
    await new Promise<void>((resolve) => documents.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(documents.address() as AddressInfo).port}`;
    clientId = `${base}/client.json`;
    server = await startTestServer(engine, { LATCHKEY_INSECURE_CLIENT_METADATA_FETCH: 'true' });
  });
  afterAll(async () => {
    await server?.close();
    documents?.close();
  });
  beforeEach(() => {
    document = { client_id: clientId, client_name: 'Research Agent', redirect_uris: [redirectUri], scope: 'openid profile email' };
    cacheControl = 'no-store';
  });

  const organizationId = async () => (await server.server.runtime.deps.store.findOrganizationByName('default'))!.id;
  const turn = async (mode: 'off' | 'test') => setClientRegistration(server.server.runtime.deps, await organizationId(), { clientIdMetadataDocuments: mode });
  const discover = async () => {
    const issuer = new URL(server.url);
    return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }));
  };
  const start = (id: string, extra: Record<string, string> = {}) => initiate(server, {
    response_type: 'code', client_id: id, redirect_uri: redirectUri, state: 's', code_challenge: pkce().challenge, code_challenge_method: 'S256', ...extra,
  });

  it('SPEC §13: off by default — not advertised, and a URL client_id is refused with 400 JSON (no redirect)', async () => {
    const as = await discover();
    expect(as.client_id_metadata_document_supported).toBeUndefined();
    const response = await start(clientId);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'invalid_request', error_description: 'this server does not accept a URL as client_id (Client ID Metadata Documents are off)',
    });
  });

  it('CIMD §5, §6: discovery → URL client_id → hosted sign-in with an unverified-client consent → code + PKCE with oauth4webapi', async () => {
    await turn('test');
    const as = await discover();
    expect(as.client_id_metadata_document_supported).toBe(true);
    const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
    const user = await createPasswordUser(server);
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    for (const [name, value] of Object.entries({
      response_type: 'code', client_id: clientId, redirect_uri: redirectUri, state, scope: 'profile email',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    })) url.searchParams.set(name, value);

    const browser = new Browser(server);
    const interaction = await completeInteraction(server, browser, await browser.navigate(url.toString()), user);
    // Never skipped, and plainly marked as unverified with where the document lives.
    expect(interaction.sawConsent).toBe(true);
    const consent = browser.pages.find((page) => page.html.includes('name="decision" value="approve"'))!.html;
    expect(consent).toContain('<strong>Unverified app.</strong>');
    expect(consent).toContain(`published at <strong>${new URL(base).host}</strong>`);
    expect(consent).toContain('Research Agent wants to access your account');
    expect(interaction.landing.kind).toBe('redirect');

    const callback = (interaction.landing as { url: URL }).url;
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier, options);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'profile email' });
    const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ client_id: clientId, sub: user.id });
    // RFC 9700 §4.14.2: the public client's refresh token rotates, identified by the URL alone.
    const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, options));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    // SPEC §8: the first use is an audit event naming the application.
    const events = await server.server.runtime.deps.store.listAuditEvents(await organizationId(), 'application.registered');
    expect(events.filter((event) => event.data.registration === 'metadata_document')).toHaveLength(1);

    // A second sign-in asks again: consent is never remembered for such a client.
    const again = await completeInteraction(server, browser, await browser.navigate(url.toString()), user);
    expect(again.sawConsent).toBe(true);
  });

  it('CIMD §4: a document whose client_id is not its URL is refused', async () => {
    await turn('test');
    const response = await start(`${base}/other.json`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'invalid_request', error_description: 'the client_id metadata document cannot be used: the document\'s client_id is not the URL it was fetched from',
    });
  });

  it('CIMD §4: a redirect_uri the document does not list is refused with 400 JSON', async () => {
    await turn('test');
    const response = await start(clientId, { redirect_uri: 'https://attacker.example/cb' });
    expect(response.status).toBe(400);
    expect((await response.json()).error_description).toBe('redirect_uri is not registered for this client');
  });

  it('CIMD Security Considerations: a client_id on a private address is never fetched (SSRF)', async () => {
    await turn('test');
    for (const target of ['http://10.0.0.1/client.json', 'http://169.254.169.254/latest/meta-data/client', 'http://[fd00::1]/client.json']) {
      const response = await start(target);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: 'invalid_request', error_description: 'the client_id metadata document cannot be used: the host resolves to an address that is not public',
      });
    }
  });

  it('SPEC §13: such a client gets no API mode (it would see the password and skip consent)', async () => {
    await turn('test');
    const response = await start(clientId, { mode: 'api' });
    expect(response.status).toBe(400);
    expect((await response.json()).error_description).toBe('mode=api is only for registered applications; this client uses the hosted pages');
    const login = await server.request('/v1/auth/login', { json: { email: 'a@example.com', password: 'x' }, headers: { 'x-client-key': clientId } });
    expect(login.status).toBe(401);
  });

  it('CIMD caching: max-age is honoured per instance; no-store fetches every time', async () => {
    await turn('test');
    cacheControl = 'max-age=120';
    const id = `${base}/cached.json`;
    document = { ...document, client_id: id };
    const before = hits;
    expect((await start(id)).status).toBe(302);
    expect((await start(id)).status).toBe(302);
    expect(hits - before).toBe(1);
    server.clock.advance(121);
    expect((await start(id)).status).toBe(302);
    expect(hits - before).toBe(2);
    cacheControl = 'no-store';
    const fresh = `${base}/fresh.json`;
    document = { ...document, client_id: fresh };
    const again = hits;
    expect((await start(fresh)).status).toBe(302);
    expect((await start(fresh)).status).toBe(302);
    expect(hits - again).toBe(2);
  });

  it('SPEC §13: switched off again, the stored client is refused at the token endpoint too', async () => {
    await turn('off');
    const response = await server.request('/v1/auth/oauth/token', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code: 'ac_x', redirect_uri: redirectUri, code_verifier: 'x'.repeat(43) }).toString(),
    });
    expect(response.status).toBe(401);
    expect((await response.json()).error).toBe('invalid_client');
  });
});

describeEachEngine('Client ID Metadata Documents: text that can never be a client_id', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());

  it('issue 11.3: a URL client_id with U+0000, a lone surrogate or a space at the token endpoint is refused (400 or 401), never a 5xx', async () => {
    for (const clientId of ['https://agent.example/\u0000', 'https://agent.example/\uD800', 'https://agent.example/a b']) {
      const response = await server.request('/v1/auth/oauth/token', {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: 'x' }).toString(),
      });
      const body = await response.json();
      expect([400, 401], JSON.stringify(body)).toContain(response.status);
      expect(['invalid_request', 'invalid_client']).toContain(body.error);
    }
  });
});

describe('LATCHKEY_RATE_LIMIT_METADATA_DOCUMENT_PER_IP (review of issue 19)', () => {
  it('authorization requests with a URL as client_id are limited per client IP, GET and POST alike; registered clients do not count', async () => {
    const server = await startTestServer('sqlite', { LATCHKEY_RATE_LIMIT_METADATA_DOCUMENT_PER_IP: '2/600' });
    try {
      const query = (clientId: string) => new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: 'https://client.example/cb', state: 's' });
      const get = (clientId: string) => fetch(`${server.url}/v1/auth/oauth/authorize/initiate?${query(clientId)}`, { redirect: 'manual' });
      const post = (clientId: string) => fetch(`${server.url}/v1/auth/oauth/authorize/initiate`, {
        method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: query(clientId).toString(),
      });
      // Off by default: refused by the flow, but each one counts.
      expect((await get('https://client.example/one')).status).toBe(400);
      expect((await post('https://client.example/two')).status).toBe(400);
      for (let i = 0; i < 3; i++) expect((await get(server.demo.publishableKey)).status).not.toBe(429);
      const limited = await post('https://client.example/three');
      expect(limited.status).toBe(429);
      expect((await limited.json()).message).toBe('too many authorization requests with a URL as client_id from this network; try again later');
      expect((await get('https://client.example/four')).status).toBe(429);
    } finally {
      await server.close();
    }
  });
});
