import type { Server } from 'node:http';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { createLatchkey, createOAuthClient, memoryStore, OtpInvalid, type Latchkey } from '../src/sdk/client/index.js';
import {
  createLatchkeyServer, expressMiddleware, InvalidApiKey, type AccessTokenClaims, InvalidToken, ValidationError, verifyAccessToken, type LatchkeyServer, type LatchkeyVariables,
} from '../src/sdk/server/index.js';
import { describeEachEngine } from './helpers/engines.js';
import { createOAuthApp, createPasswordUser } from './helpers/oauth.js';
import { latestCode } from './helpers/otp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** `latchkey keys rotate --json`, the real CLI in-process against the server's database. */
async function rotateKeys(server: TestServer): Promise<{ kid: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  try {
    const { databaseUrl, secret } = server.server.runtime.config;
    expect(await main(['keys', 'rotate', '--json'], { LATCHKEY_DATABASE_URL: databaseUrl, LATCHKEY_SECRET: secret, LATCHKEY_LOG_LEVEL: 'silent' })).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return JSON.parse(out);
}

/** How many times the JWKS was fetched, from the server's own request metrics. */
async function jwksFetches(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
  return [...text.matchAll(/^latchkey_http_requests_total\{[^}]*route="\/\.well-known\/jwks\.json"[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

async function listen(server: Server | ServerType): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describeEachEngine('latchkey/server (SPEC §11)', (engine) => {
  let server: TestServer;
  let foreign: TestServer;
  let backend: LatchkeyServer;
  let issuer: string;
  const clients: Latchkey[] = [];
  let honoUrl: string;
  let expressUrl: string;
  const closers: Array<() => void> = [];
  // Verification runs at the server's (test) time, so expiry follows server.clock.
  const at = () => ({ currentDate: new Date(server.clock.now()) });

  beforeAll(async () => {
    [server, foreign] = await Promise.all([startTestServer(engine), startTestServer(engine)]);
    issuer = server.server.runtime.deps.issuer;
    backend = createLatchkeyServer({ baseUrl: server.url, secretKey: server.demo.secretKey });

    // A resource server on hono and one on the Express middleware (node:http's API, which Express extends).
    const hono = new Hono<{ Variables: LatchkeyVariables }>();
    hono.use('/api/*', async (c, next) => backend.honoMiddleware({ audience: server.demo.publishableKey, ...at() })(c, next));
    hono.get('/api/whoami', (c) => c.json({ sub: c.get('latchkey').sub }));
    const honoServer = serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' });
    honoUrl = await listen(honoServer);
    closers.push(() => honoServer.close());

    // A real Express 5 application.
    const expressApp = express();
    // Made per request, like the hono one, so its clock is the server's TestClock at that moment.
    expressApp.use('/api', (req, res, next) => expressMiddleware({ issuer, jwksUri: `${server.url}/.well-known/jwks.json`, audience: server.demo.publishableKey, realm: 'shop', ...at() })(req, res, next));
    expressApp.get('/api/whoami', (req, res) => {
      res.json({ sub: (req as typeof req & { latchkey?: AccessTokenClaims }).latchkey!.sub });
    });
    const expressServer = expressApp.listen(0, '127.0.0.1');
    expressUrl = await listen(expressServer);
    closers.push(() => expressServer.close());
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    for (const close of closers) close();
    await Promise.all([server?.close(), foreign?.close()]);
  });

  /** The whole first-party path: the backend mints a code, the client (memory store) exchanges it. */
  async function signIn(subject: string, on: TestServer = server): Promise<{ latchkey: Latchkey; accessToken: string }> {
    const minter = on === server ? backend : createLatchkeyServer({ baseUrl: on.url, secretKey: on.demo.secretKey });
    const { exchangeCode } = await minter.createExchangeCode({ provider: 'shop', issuer: 'https://shop.example', subject, claims: { email: `${subject}@shop.example` } });
    const latchkey = createLatchkey({ baseUrl: on.url, publishableKey: on.demo.publishableKey, store: memoryStore() });
    clients.push(latchkey);
    await latchkey.exchange(exchangeCode);
    return { latchkey, accessToken: (await latchkey.getAccessToken())! };
  }

  const call = (url: string, token?: string) => fetch(`${url}/api/whoami`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it('SPEC §5.1: createExchangeCode mints a code (typed response) that the client exchanges for a session', async () => {
    const minted = await backend.createExchangeCode({ provider: 'shop', issuer: 'https://shop.example', subject: 'sdk-mint' });
    expect(minted).toEqual({ exchangeCode: expect.stringMatching(/^exc_/), expiresAt: new Date(server.clock.now() + 60_000).toISOString(), resolution: 'created' });
    const latchkey = createLatchkey({ baseUrl: server.url, publishableKey: server.demo.publishableKey, store: memoryStore() });
    clients.push(latchkey);
    const session = await latchkey.exchange(minted.exchangeCode);
    expect(session).toMatchObject({ type: 'authenticated', consumerId: expect.stringMatching(/^con_/) });
    expect(await latchkey.me()).toMatchObject({ id: session.consumerId, identities: [{ provider: 'shop', issuer: 'https://shop.example', subject: 'sdk-mint' }] });
  });

  it('SPEC §5.3 / §5.4: guest, then OTP through the client — the guest is upgraded in place; a wrong code is OtpInvalid', async () => {
    const latchkey = createLatchkey({ baseUrl: server.url, publishableKey: server.demo.publishableKey, store: memoryStore() });
    clients.push(latchkey);
    const changes: Array<string | null> = [];
    latchkey.onSessionChange((session) => changes.push(session && session.type));
    const guest = await latchkey.guest();
    expect(guest).toMatchObject({ type: 'guest', consumerId: expect.stringMatching(/^con_/) });
    const email = `sdk-otp-${engine}@example.com`;
    await latchkey.otp.request({ email });
    const code = await latestCode(server, email);
    const wrong = await latchkey.otp.verify({ email, code: code === '000000' ? '111111' : '000000' }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(OtpInvalid);
    const result = await latchkey.otp.verify({ email, code });
    // SPEC §5.4 guest linking: the client sent the guest's token along, so the same consumer is now signed in.
    expect(result).toEqual({ status: 'signed_in', session: expect.objectContaining({ type: 'authenticated', consumerId: guest.consumerId, email }) });
    expect(changes).toEqual(['guest', 'authenticated']);
  });

  it('SPEC §3: a 400 from createExchangeCode is a ValidationError carrying the server\'s Valibot issues', async () => {
    const error = await backend.createExchangeCode({ provider: '', issuer: 'https://shop.example', subject: 's' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'validation_error', status: 400, name: 'ValidationError' });
    expect((error as ValidationError).issues).toEqual([
      expect.objectContaining({ kind: 'validation', type: 'min_length', path: [expect.objectContaining({ key: 'provider' })] }),
    ]);
  });

  it('SPEC §2: a wrong secret key is InvalidApiKey', async () => {
    const wrong = createLatchkeyServer({ baseUrl: server.url, secretKey: 'sk_test_not-a-real-key' });
    const error = await wrong.createExchangeCode({ provider: 'shop', issuer: 'https://shop.example', subject: 's' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidApiKey);
    expect(error).toMatchObject({ code: 'invalid_api_key', status: 401, requestId: expect.any(String) });
  });

  it('SPEC §11: verifyAccessToken returns the claims of a consumer access token; the audience is checked', async () => {
    const { accessToken } = await signIn('sdk-verify');
    const claims = await backend.verifyAccessToken(accessToken, { audience: server.demo.publishableKey, ...at() });
    expect(claims).toMatchObject({ iss: issuer, aud: server.demo.publishableKey, sub: expect.stringMatching(/^con_/), session_type: 'authenticated', sid: expect.stringMatching(/^ses_/) });
    await expect(backend.verifyAccessToken(accessToken, { audience: 'pk_test_someone-else', ...at() })).rejects.toBeInstanceOf(InvalidToken);
  });

  it('RFC 8725 §3.11: a token of another kind signed by the same keys (the beacon token) is refused', async () => {
    const { exchangeCode } = await backend.createExchangeCode({ provider: 'shop', issuer: 'https://shop.example', subject: 'sdk-beacon' });
    const session = await (await server.request('/auth/external/exchange', { json: { exchangeCode }, headers: { 'x-publishable-key': server.demo.publishableKey } })).json();
    expect(decodeProtectedHeader(session.beaconToken).typ).toBe('beacon+jwt');
    await expect(backend.verifyAccessToken(session.beaconToken, at())).rejects.toThrow(/typ "beacon\+jwt"/);
  });

  it('SPEC §6.1–6.4: the API-mode helper runs the four steps (PKCE, state and iss checked) and its RFC 9068 token verifies', async () => {
    const app = await createOAuthApp(server, { type: 'public', redirectUris: ['http://127.0.0.1/callback'], scopes: ['profile', 'offline_access'], accessTokenAlg: 'RS256' });
    const user = await createPasswordUser(server);
    const client = createOAuthClient({ baseUrl: server.url, issuer, clientId: app.publishableKey, redirectUri: app.redirectUri });
    const transaction = await client.start({ scope: 'profile offline_access' });
    expect(transaction).toMatchObject({ token: expect.any(String), url: expect.any(String), state: expect.stringMatching(/^[\w-]{43}$/), codeVerifier: expect.stringMatching(/^[\w-]{43}$/) });
    const login = await client.login({ email: user.email, password: user.password });
    const code = await client.authorize(transaction, login.accessToken!);
    const tokens = await client.exchangeCode(transaction, code);
    expect(tokens).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), refresh_token: expect.stringMatching(/^rt_/) });
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(await backend.verifyAccessToken(tokens.access_token, { audience: issuer, ...at() })).toMatchObject({ sub: user.id, client_id: app.publishableKey });
    // Consumer tokens only, when the resource server says so.
    await expect(backend.verifyAccessToken(tokens.access_token, { accept: ['consumer'], ...at() })).rejects.toThrow(/typ "at\+jwt"/);
    // RFC 9207 / RFC 6749 §10.12: a redirect with another state or another issuer is refused.
    const callback = new URL(app.redirectUri);
    callback.search = new URLSearchParams({ code, state: transaction.state, iss: 'https://evil.example' }).toString();
    expect(() => client.parseCallback(transaction, callback)).toThrow(/iss/);
    callback.search = new URLSearchParams({ code, state: 'other', iss: issuer }).toString();
    expect(() => client.parseCallback(transaction, callback)).toThrow(/state/);
  });

  for (const framework of ['hono', 'express'] as const) {
    const url = () => (framework === 'hono' ? honoUrl : expressUrl);

    it(`SPEC §11 (${framework}): the middleware accepts the client's access token and puts the claims on the request`, async () => {
      const { accessToken, latchkey } = await signIn(`sdk-${framework}`);
      const response = await call(url(), accessToken);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sub: (await latchkey.getSession())!.consumerId });
    });

    it(`RFC 6750 §3.1 (${framework}): no token is 401 with a bare challenge; a tampered one is 401 invalid_token`, async () => {
      const realm = framework === 'hono' ? 'api' : 'shop';
      const missing = await call(url());
      expect([missing.status, missing.headers.get('www-authenticate')]).toEqual([401, `Bearer realm="${realm}"`]);
      const { accessToken } = await signIn(`sdk-${framework}-tamper`);
      const [header, payload, signature] = accessToken.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'con_someone_else' })).toString('base64url')}.${signature}`;
      const tampered = await call(url(), forged);
      expect(tampered.status).toBe(401);
      expect(tampered.headers.get('www-authenticate')).toBe(`Bearer realm="${realm}", error="invalid_token", error_description="signature verification failed"`);
      expect(await tampered.json()).toEqual({ error: 'invalid_token', error_description: 'signature verification failed' });
    });

    it(`SPEC §4 (${framework}): an expired access token is refused`, async () => {
      const { accessToken } = await signIn(`sdk-${framework}-expired`);
      expect((await call(url(), accessToken)).status).toBe(200);
      server.clock.advance(3600 + 60);
      try {
        const expired = await call(url(), accessToken);
        expect(expired.status).toBe(401);
        expect(expired.headers.get('www-authenticate')).toMatch(/error="invalid_token", error_description="\\?"?exp"? claim timestamp check failed"/);
      } finally {
        server.clock.advance(-(3600 + 60));
      }
    });

    it(`SPEC §11 (${framework}): a token of another Latchkey (foreign issuer) is refused`, async () => {
      const { accessToken } = await signIn(`sdk-${framework}-foreign`, foreign);
      const response = await call(url(), accessToken);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });
  }

  it('SPEC §4 / §11: after `latchkey keys rotate` old and new tokens verify; an unknown kid refetches the JWKS, at most once per cooldown', async () => {
    const { latchkey, accessToken: before } = await signIn('sdk-rotate');
    const verifyWith = (token: string, cooldownSeconds: number) =>
      verifyAccessToken(token, { issuer, jwksUri: `${server.url}/.well-known/jwks.json`, jwksCooldownSeconds: cooldownSeconds, ...at() });
    // Two verifiers that have each fetched the JWKS once, before the rotation.
    await verifyWith(before, 0);
    await verifyWith(before, 3600);

    const rotated = await rotateKeys(server);
    // Signing with the new key starts after twice LATCHKEY_KEY_CACHE_SECONDS (30 s); the CLI ran on the system clock.
    server.clock.catchUpWithSystemClock();
    server.clock.advance(61);
    await latchkey.refresh();
    const after = (await latchkey.getAccessToken())!;
    expect(decodeProtectedHeader(after).kid).toBe(rotated.kid);

    // Inside its cooldown a verifier does not refetch, however many unknown kids arrive…
    const fetchesBefore = await jwksFetches(server);
    for (let i = 0; i < 3; i++) await expect(verifyWith(after, 3600)).rejects.toBeInstanceOf(InvalidToken);
    expect(await jwksFetches(server)).toBe(fetchesBefore);
    // …and past it, one unknown kid refetches once and the new key verifies, the old one still does.
    await expect(verifyWith(after, 0)).resolves.toMatchObject({ sub: (await latchkey.getSession())!.consumerId });
    await expect(verifyWith(before, 0)).resolves.toBeDefined();
    expect(await jwksFetches(server)).toBe(fetchesBefore + 1);
  });
});
