import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { IDENTITY, authorize, exchange, refresh, signIn } from './helpers/flows.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describeEachEngine('HTTP basics', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine, { LATCHKEY_BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(() => server?.close());

  it('SPEC §3: every response carries X-Request-Id — 200, 400, 401, 404, 405, 413', async () => {
    const responses = [
      await server.request('/healthz'),
      await authorize(server, server.demo, {}),
      await server.request('/auth/external/authorize', { json: IDENTITY }),
      await server.request('/nowhere'),
      await server.request('/auth/refresh'),
      await authorize(server, server.demo, { ...IDENTITY, claims: { note: 'x'.repeat(4000) } }),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 400, 401, 404, 405, 413]);
    for (const response of responses) expect(response.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
  });

  it('a well-formed incoming X-Request-Id is kept, anything else replaced', async () => {
    const kept = await server.request('/healthz', { headers: { 'x-request-id': 'trace-123' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-123');
    const replaced = await server.request('/healthz', { headers: { 'x-request-id': 'bad id "quoted"' } });
    // Replaced by a fresh id of our own (a UUID may well contain the hex letters "bad").
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('404 and 405 answer in the error shape; 405 names the allowed method', async () => {
    const missing = await server.request('/nowhere');
    expect(await missing.json()).toEqual({ error: 'not_found', message: 'no route for GET /nowhere' });
    const wrong = await server.request('/auth/refresh');
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((await wrong.json()).error).toBe('method_not_allowed');
  });

  it('a body over the limit → 413 payload_too_large and nothing is created', async () => {
    const response = await authorize(server, server.demo, { ...IDENTITY, subject: 'too-big', claims: { note: 'x'.repeat(4000) } });
    expect(response.status).toBe(413);
    expect((await response.json()).error).toBe('payload_too_large');
    const after = await (await authorize(server, server.demo, { ...IDENTITY, subject: 'too-big' })).json();
    expect(after.resolution).toBe('created');
  });

  it('healthz and readyz', async () => {
    expect(await (await server.request('/healthz')).json()).toEqual({ status: 'ok' });
    expect(await (await server.request('/readyz')).json()).toEqual({ status: 'ready', checks: { store: 'ok', rateLimits: 'memory' } });
  });

  it('RFC 6749 §5.1 spirit: token-bearing responses are not cacheable', async () => {
    const response = await authorize(server, server.demo, IDENTITY);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('SPEC §2 CORS: a test application answers loopback origins, a live one only its listed origins', async () => {
    const preflight = await server.request('/auth/external/exchange', {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-publishable-key, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-publishable-key');
    expect(preflight.headers.get('access-control-expose-headers')).toContain('x-request-id');

    const refused = await server.request('/auth/external/exchange', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const live = await server.createApp({ environment: 'live', allowedOrigins: ['https://shop.example'] });
    const code = async () => (await (await authorize(server, live, IDENTITY)).json()).exchangeCode;
    const fromListed = await server.request('/auth/external/exchange', {
      json: { exchangeCode: await code() }, headers: { 'x-publishable-key': live.publishableKey, origin: 'https://shop.example' },
    });
    expect(fromListed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const fromLoopback = await server.request('/auth/external/exchange', {
      json: { exchangeCode: await code() }, headers: { 'x-publishable-key': live.publishableKey, origin: 'http://localhost:5173' },
    });
    expect(fromLoopback.status).toBe(200);
    expect(fromLoopback.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('SPEC §2 CORS: a refusal before the application is known is still readable by an allowed origin', async () => {
    const response = await server.request('/auth/refresh', {
      json: { refreshToken: 'rt_x' },
      headers: { 'x-publishable-key': 'pk_test_unknown', origin: 'http://localhost:5173' },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const foreign = await server.request('/auth/refresh', {
      json: { refreshToken: 'rt_x' },
      headers: { 'x-publishable-key': 'pk_test_unknown', origin: 'https://evil.example' },
    });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('CHECKLIST: a body nested thousands deep → 400, never a 5xx', async () => {
    const deep = `{"refreshToken":5,"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const large = await server.request('/auth/refresh', { method: 'POST', body: deep, headers: { 'x-publishable-key': server.demo.publishableKey } });
    expect(large.status).toBe(413); // over this server's 2 KiB limit; the next one fits
    const fits = `{"refreshToken":5,"x":${'['.repeat(900)}${']'.repeat(900)}}`;
    const response = await server.request('/auth/refresh', { method: 'POST', body: fits, headers: { 'x-publishable-key': server.demo.publishableKey } });
    expect(response.status).toBe(400);
    expect((await response.json()).issues).toEqual([
      { kind: 'validation', type: 'raw_check', expected: '<= 32 levels of nesting', received: 'invalid', message: 'the body nests deeper than 32 levels', path: [] },
    ]);
    const claims = await authorize(server, server.demo, { ...IDENTITY, claims: JSON.parse(`${'{"a":'.repeat(100)}1${'}'.repeat(100)}`) });
    expect(claims.status).toBe(400);
  });

  it('SPEC §3: no log line contains a secret key, exchange code, refresh token or access token', async () => {
    const before = server.logLines.length;
    const minted = await (await authorize(server, server.demo, { ...IDENTITY, subject: 'log-check' })).json();
    const session = await (await exchange(server, server.demo, { exchangeCode: minted.exchangeCode })).json();
    const rotated = await (await refresh(server, server.demo, session.refreshToken)).json();
    await exchange(server, server.demo, { exchangeCode: minted.exchangeCode }); // a refused replay is logged too
    await server.request('/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${rotated.accessToken}` } });
    const lines = server.logLines.slice(before).join('\n');
    expect(lines).toContain('"path":"/auth/external/exchange"');
    for (const secret of [server.demo.secretKey, minted.exchangeCode, session.refreshToken, rotated.refreshToken, session.accessToken, rotated.accessToken]) {
      expect(lines).not.toContain(secret);
    }
  });
});

describeEachEngine('HTTP failures of the store', (engine) => {
  it('SPEC §3: an unexpected failure → 500 { error: internal_error, requestId } and a log line; readyz → 503', async () => {
    const server = await startTestServer(engine);
    try {
      const { accessToken } = await signIn(server);
      await server.server.runtime.store.close();
      const response = await server.request('/consumers/me', { headers: { authorization: `Bearer ${accessToken}` } });
      expect(response.status).toBe(500);
      const requestId = response.headers.get('x-request-id');
      expect(await response.json()).toEqual({ error: 'internal_error', requestId });
      expect(server.logLines.some((l) => l.includes('unhandled error') && l.includes(requestId!))).toBe(true);
      const ready = await server.request('/readyz');
      expect(ready.status).toBe(503);
      expect((await ready.json()).error).toBe('service_unavailable');
      expect((await server.request('/healthz')).status).toBe(200);
    } finally {
      // The store is closed already: closing it again may fail, the database is dropped regardless.
      await server.close().catch(() => undefined);
    }
  });
});

describe('issue 13: a test server binds port 0 and its issuer names the port bound', () => {
  it('the issuer, the metadata and the listener agree on one port that was never guessed ahead', async () => {
    const server = await startTestServer('sqlite');
    try {
      expect(new URL(server.url).port).not.toBe('0');
      expect(server.server.runtime.config.issuer).toBe(server.url);
      const metadata = await (await server.request('/.well-known/oauth-authorization-server')).json();
      expect(metadata.issuer).toBe(server.url);
    } finally {
      await server.close();
    }
  });
});
