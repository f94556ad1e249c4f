import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY, refresh, signIn } from './helpers/flows.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('GET /metrics (issue 6)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('sqlite', { LATCHKEY_RATE_LIMIT_GUEST_PER_IP: '1/3600' });
  });
  afterAll(() => server?.close());

  it('counts requests by route and status, tokens by kind, replays, rate limits and store latency', async () => {
    const session = await signIn(server, server.demo, { ...IDENTITY, subject: 'metrics-1' });
    await refresh(server, server.demo, session.refreshToken);
    server.clock.advance(11);
    await refresh(server, server.demo, session.refreshToken); // reuse → family revoked
    for (let i = 0; i < 2; i++) await server.request('/auth/guest', { method: 'POST', headers: { 'x-publishable-key': server.demo.publishableKey } });

    const response = await server.request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('latchkey_http_requests_total{route="/auth/external/authorize",method="POST",status="200"} 1');
    expect(text).toContain('latchkey_http_requests_total{route="/auth/refresh",method="POST",status="401"} 1');
    expect(text).toContain('latchkey_tokens_issued_total{kind="exchange_code"} 1');
    expect(text).toMatch(/latchkey_tokens_issued_total\{kind="consumer_access"\} [3-9]/);
    expect(text).toContain('latchkey_replays_detected_total{kind="refresh_token"} 1');
    expect(text).toContain('latchkey_rate_limited_total{limit="guestPerIp"} 1');
    expect(text).toMatch(/latchkey_store_operation_duration_seconds_count\{method="redeemExchangeCode"\} 1/);
    expect(text).toMatch(/latchkey_http_request_duration_seconds_bucket\{le="0.1",route="\/auth\/external\/exchange"/);
    // No secret, code or token ever becomes a label.
    expect(text).not.toContain(session.refreshToken);
    expect(text).not.toContain('exc_');
  });
});
