import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { IDENTITY, refresh, signIn } from './helpers/flows.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describeEachEngine('GET /metrics on the admin listener (issue 6)', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine, { LATCHKEY_RATE_LIMIT_GUEST_PER_IP: '1/3600' });
  });
  afterAll(() => server?.close());

  it('issue 13: counts requests by route and status, tokens by kind (exactly this test\'s traffic), replays, rate limits and store latency', async () => {
    const session = await signIn(server, server.demo, { ...IDENTITY, subject: 'metrics-1' });
    await refresh(server, server.demo, session.refreshToken);
    server.clock.advance(11);
    await refresh(server, server.demo, session.refreshToken); // reuse → family revoked
    for (let i = 0; i < 2; i++) await server.request('/auth/guest', { method: 'POST', headers: { 'x-publishable-key': server.demo.publishableKey } });

    const response = await fetch(`${server.adminUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('latchkey_http_requests_total{route="/auth/external/authorize",method="POST",status="200"} 1');
    expect(text).toContain('latchkey_http_requests_total{route="/auth/refresh",method="POST",status="401"} 1');
    expect(text).toContain('latchkey_tokens_issued_total{kind="exchange_code"} 1');
    // One consumer access token per success above: the sign-in, the first refresh, the first guest
    // (the replayed refresh and the rate-limited guest issue none).
    expect(text).toContain('latchkey_tokens_issued_total{kind="consumer_access"} 3');
    expect(text).toContain('latchkey_replays_detected_total{kind="refresh_token"} 1');
    expect(text).toContain('latchkey_rate_limited_total{limit="guestPerIp"} 1');
    expect(text).toMatch(/latchkey_store_operation_duration_seconds_count\{method="redeemExchangeCode"\} 1/);
    expect(text).toMatch(/latchkey_http_request_duration_seconds_bucket\{le="0.1",route="\/auth\/external\/exchange"/);
    // No secret, code or token ever becomes a label.
    for (const secret of [session.accessToken, session.beaconToken, session.refreshToken, server.demo.secretKey, 'exc_']) {
      expect(text).not.toContain(secret);
    }
  });
});

describeEachEngine('issue 11.9 / SPEC §10: the admin listener', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());

  it('issue 11.9 / SPEC §10: the public port does not serve /metrics (404) and the OpenAPI document does not list it', async () => {
    const response = await server.request('/metrics');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'not_found' });
    const document = await (await server.request('/openapi.json')).json();
    expect(Object.keys(document.paths)).not.toContain('/metrics');
  });

  it('issue 11.9 / SPEC §10: the admin listener has its own port and serves /metrics, /healthz and /readyz', async () => {
    expect(new URL(server.adminUrl).port).not.toBe(new URL(server.url).port);
    const metrics = await fetch(`${server.adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('latchkey_http_requests_total');
    expect(await (await fetch(`${server.adminUrl}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${server.adminUrl}/readyz`)).json()).toMatchObject({ status: 'ready', checks: { store: 'ok' } });
    // Health answers on the public port as well, for a load balancer's probes.
    expect((await server.request('/healthz')).status).toBe(200);
    expect((await server.request('/readyz')).status).toBe(200);
  });

  it('issue 11.9: the admin listener serves nothing of the public API', async () => {
    for (const path of ['/.well-known/jwks.json', '/openapi.json', '/auth/guest']) {
      expect((await fetch(`${server.adminUrl}${path}`)).status, path).toBe(404);
    }
    const post = await fetch(`${server.adminUrl}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });
});

describe('issue 11.9: LATCHKEY_ADMIN_LISTEN', () => {
  it('off: no admin listener, and still no /metrics on the public port', async () => {
    const server = await startTestServer('sqlite', { LATCHKEY_ADMIN_LISTEN: 'off' });
    try {
      expect(server.server.adminUrl).toBeUndefined();
      expect((await server.request('/metrics')).status).toBe(404);
      expect((await server.request('/healthz')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('graceful shutdown closes both listeners', async () => {
    const server = await startTestServer('sqlite');
    const { adminUrl, url } = server;
    expect((await fetch(`${adminUrl}/healthz`)).status).toBe(200);
    await server.close();
    await expect(fetch(`${adminUrl}/healthz`)).rejects.toThrow();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
