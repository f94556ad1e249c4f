import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setClientRegistration, type ClientRegistrationChange } from '../src/flows/client-registration-settings.js';
import { describeEachEngine } from './helpers/engines.js';
import { createPasswordUser } from './helpers/oauth.js';
import { Browser, completeInteraction } from './helpers/oidc-rp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// SPEC §13, RFC 7591: an agent registers itself at the advertised registration_endpoint (requests as
// oauth4webapi-style clients send them: plain fetch, JSON), then runs code + PKCE with oauth4webapi.
describeEachEngine('Dynamic Client Registration (RFC 7591)', (engine) => {
  let server: TestServer;
  const redirectUri = 'http://127.0.0.1:9/callback';
  const options = { [oauth.allowInsecureRequests]: true } as const;

  beforeAll(async () => {
    server = await startTestServer(engine, { LATCHKEY_RATE_LIMIT_REGISTRATION_PER_IP: '100000/60' });
  });
  afterAll(() => server?.close());

  const change = async (settings: ClientRegistrationChange) =>
    setClientRegistration(server.server.runtime.deps, (await server.server.runtime.deps.store.findOrganizationByName('default'))!.id, settings);
  const register = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/v1/auth/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const discover = async () => {
    const issuer = new URL(server.url);
    return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }));
  };

  it('SPEC §13: off by default — no registration_endpoint in discovery, and 403 access_denied', async () => {
    expect((await discover()).registration_endpoint).toBeUndefined();
    const response = await register({ redirect_uris: [redirectUri] });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: 'access_denied', error_description: 'Dynamic Client Registration is off' });
  });

  it('RFC 7591 §3.1, §3.2.1: register from discovery, then code + PKCE with oauth4webapi; the consent page says unverified', async () => {
    await change({ dynamicClientRegistration: 'test' });
    const as = await discover();
    expect(as.registration_endpoint).toBe(`${server.url}/v1/auth/oauth/register`);
    const response = await fetch(as.registration_endpoint!, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ client_name: 'Coding Agent', redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none', logo_uri: 'https://agent.example/logo.png' }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toContain('no-store');
    const information = await response.json();
    expect(information).toEqual({
      client_id: expect.stringMatching(/^pk_test_[A-Za-z0-9_-]{32}$/),
      client_id_issued_at: Math.floor(server.clock.now() / 1000),
      client_name: 'Coding Agent',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'openid profile email phone address offline_access',
    });

    const client: oauth.Client = { client_id: information.client_id, token_endpoint_auth_method: 'none' };
    const user = await createPasswordUser(server);
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    for (const [name, value] of Object.entries({
      response_type: 'code', client_id: client.client_id, redirect_uri: redirectUri, state, scope: 'profile',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    })) url.searchParams.set(name, value);
    const browser = new Browser(server);
    const interaction = await completeInteraction(server, browser, await browser.navigate(url.toString()), user);
    expect(interaction.sawConsent).toBe(true);
    const consent = browser.pages.find((page) => page.html.includes('name="decision" value="approve"'))!.html;
    expect(consent).toContain('<strong>Unverified app.</strong>');
    expect(consent).toContain('registered itself automatically and will send you back to <strong>127.0.0.1:9</strong>');
    const params = oauth.validateAuthResponse(as, client, (interaction.landing as { url: URL }).url, state);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier, options));
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'profile' });

    // SPEC §13: the consumer API and API mode are not for it.
    const guest = await server.request('/auth/guest', { method: 'POST', json: {}, headers: { 'x-publishable-key': client.client_id } });
    expect(guest.status).toBe(401);
  });

  it('RFC 7591 §3.2.2: invalid_redirect_uri and invalid_client_metadata', async () => {
    await change({ dynamicClientRegistration: 'live', initialAccessToken: 'none' });
    const cases: Array<[unknown, string, string]> = [
      [{}, 'invalid_redirect_uri', 'redirect_uris must be a non-empty list of URIs'],
      [{ redirect_uris: [] }, 'invalid_redirect_uri', 'redirect_uris must be a non-empty list of URIs'],
      [{ redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri', 'redirect URI javascript:alert(1) must not use the javascript: scheme'],
      [{ redirect_uris: ['https://agent.example/cb#frag'] }, 'invalid_redirect_uri', 'redirect URI https://agent.example/cb#frag must not have a fragment'],
      // The live environment: http only for loopback hosts (SPEC §1), as for registered applications.
      [{ redirect_uris: ['http://agent.example/cb'] }, 'invalid_redirect_uri', 'redirect URI http://agent.example/cb may use http only for loopback hosts or test applications'],
      [{ redirect_uris: [redirectUri], token_endpoint_auth_method: 'client_secret_basic' }, 'invalid_client_metadata', 'token_endpoint_auth_method must be none: registered clients are public and use PKCE'],
      [{ redirect_uris: [redirectUri], grant_types: ['client_credentials'] }, 'invalid_client_metadata', 'grant_types may only list authorization_code and refresh_token'],
      [{ redirect_uris: [redirectUri], grant_types: ['refresh_token'] }, 'invalid_client_metadata', 'grant_types must include authorization_code'],
      [{ redirect_uris: [redirectUri], response_types: ['token'] }, 'invalid_client_metadata', 'response_types may only list code'],
      [{ redirect_uris: [redirectUri], client_name: 'x'.repeat(101) }, 'invalid_client_metadata', 'client_name must be at most 100 characters'],
      [{ redirect_uris: [redirectUri], scope: 'admin' }, 'invalid_client_metadata', 'scope must name at least one of: openid profile email phone address offline_access'],
      [[redirectUri], 'invalid_client_metadata', 'the request body must be a JSON object of client metadata'],
    ];
    for (const [body, error, description] of cases) {
      const response = await register(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(await response.json()).toEqual({ error, error_description: description });
    }
    const notJson = await fetch(`${server.url}/v1/auth/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(await notJson.json()).toEqual({ error: 'invalid_client_metadata', error_description: 'the request body is not JSON' });
  });

  it('RFC 7591 §3: an initial access token, when the organization sets one, is required (401 invalid_token otherwise)', async () => {
    const { initialAccessToken } = await change({ dynamicClientRegistration: 'test', initialAccessToken: 'generate' });
    expect(initialAccessToken).toMatch(/^lkr_[A-Za-z0-9_-]{43}$/);
    const missing = await register({ redirect_uris: [redirectUri] });
    expect(missing.status).toBe(401);
    expect((await missing.json()).error).toBe('invalid_token');
    const wrong = await register({ redirect_uris: [redirectUri] }, { authorization: `Bearer ${initialAccessToken}x` });
    expect(wrong.status).toBe(401);
    const right = await register({ redirect_uris: [redirectUri] }, { authorization: `Bearer ${initialAccessToken}` });
    expect(right.status).toBe(201);
    expect((await right.json()).client_name).toBe('127.0.0.1:9');
    await change({ initialAccessToken: 'none' });
  });

  it('review of issue 19: a custom-scheme redirect URI names no host — the consent page names the scheme, never what follows //', async () => {
    await change({ dynamicClientRegistration: 'test' });
    const response = await register({ redirect_uris: ['com.attacker://accounts.google.com/cb'] });
    expect(response.status).toBe(201);
    const information = await response.json();
    expect(information.client_name).toBe('Unnamed client');
    const { unverifiedClientOf } = await import('../src/http/hosted/unverified-client.js');
    const application = (await server.server.runtime.deps.store.findApplicationByPublishableKey(information.client_id))!;
    expect(unverifiedClientOf(application, 'com.attacker://accounts.google.com/cb')).toEqual({ origin: 'an app on your device (scheme com.attacker:)', kind: 'dynamic' });
  });

  it('SPEC §13 (review of issue 19): switched off, registration is refused again — and the clients registered before stop working on every path', async () => {
    await change({ dynamicClientRegistration: 'test' });
    const information = await (await register({ redirect_uris: [redirectUri] })).json();
    const authorize = () => fetch(`${server.url}/v1/auth/oauth/authorize/initiate?${new URLSearchParams({
      response_type: 'code', client_id: information.client_id, redirect_uri: redirectUri, state: 's', scope: 'profile',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    })}`, { redirect: 'manual' });
    expect((await authorize()).status).toBe(302);
    await change({ dynamicClientRegistration: 'off' });
    expect((await register({ redirect_uris: [redirectUri] })).status).toBe(403);
    expect((await discover()).registration_endpoint).toBeUndefined();
    const refused = await authorize();
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_request' });
    const token = await fetch(`${server.url}/v1/auth/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x'.repeat(43), client_id: information.client_id }),
    });
    expect(token.status).toBe(401);
    expect(await token.json()).toMatchObject({ error: 'invalid_client' });
    // Switched to the other environment, the clients made in the first one stay out too.
    await change({ dynamicClientRegistration: 'live' });
    expect((await authorize()).status).toBe(400);
    await change({ dynamicClientRegistration: 'off' });
  });
});

describe('Dynamic Client Registration rate limit', () => {
  it('SPEC §3: registrations per IP are limited (429)', async () => {
    const server = await startTestServer('sqlite', { LATCHKEY_RATE_LIMIT_REGISTRATION_PER_IP: '2/3600' });
    try {
      const send = () => fetch(`${server.url}/v1/auth/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect((await send()).status).toBe(400);
      expect((await send()).status).toBe(400);
      expect((await send()).status).toBe(429);
    } finally {
      await server.close();
    }
  });
});
