import { describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../bench/scenario.js';
import { evaluateTargets } from '../bench/targets.js';

// The targets block of `npm run bench` (issue 15): each target computed from one run's rows.
const row = (target: string, name: string, fields: Partial<ScenarioResult> = {}): ScenarioResult => ({
  name, target, requestsPerSecond: 1000, p50Ms: 10, p99Ms: 20, errors: 0, non2xx: 0, requests: 1000, rssMb: 120, cpuMicrosPerRequest: 300, statusCodes: { '200': 1000 }, ...fields,
});
const verdict = (results: ScenarioResult[], label: string) => evaluateTargets(results).find((t) => t.label.startsWith(label));

describe('bench targets (issue 15)', () => {
  it('compares the pools with the in-memory peer, not the Redis one', () => {
    const results = [
      row('oidc-provider', 'oauth refresh_token (pool)', { requestsPerSecond: 1000 }),
      row('oidc-provider (redis)', 'oauth refresh_token (pool)', { requestsPerSecond: 100 }),
      row('latchkey-sqlite', 'oauth refresh_token (pool)', { requestsPerSecond: 1400 }),
      row('latchkey-sqlite', 'consumer refresh (pool)', { requestsPerSecond: 1500 }),
    ];
    expect(verdict(results, 'OAuth refresh_token')).toMatchObject({ met: false });
    expect(verdict(results, 'OAuth refresh_token')!.detail).toContain('1.40 ×');
    expect(verdict(results, 'consumer refresh')).toMatchObject({ met: true });
    expect(verdict(results, 'authorization_code')).toMatchObject({ met: undefined });
  });

  it('requires client_credentials ≥ 1.5 × in every run, not only the median', () => {
    const peer = row('oidc-provider', 'oauth client_credentials', { runsRequestsPerSecond: [1000, 1000, 1000] });
    const ours = (runs: number[]) => row('latchkey-sqlite', 'oauth client_credentials', { runsRequestsPerSecond: runs });
    expect(verdict([peer, ours([1600, 1700, 1550])], 'client_credentials')).toMatchObject({ met: true });
    expect(verdict([peer, ours([1600, 1400, 1700])], 'client_credentials')).toMatchObject({ met: false });
  });

  it('counts pairs as half the requests, and each PostgreSQL scenario against the same SQLite one', () => {
    const results = [
      row('latchkey-sqlite', 'external authorize+exchange (pairs)', { requestsPerSecond: 5998 }),
      row('latchkey-sqlite', 'jwks', { requestsPerSecond: 1000 }),
      row('latchkey-postgres', 'jwks', { requestsPerSecond: 590 }),
    ];
    expect(verdict(results, 'external authorize')).toMatchObject({ met: false });
    expect(verdict(results, 'PostgreSQL ÷ SQLite: jwks')).toMatchObject({ met: false });
    results[2]!.requestsPerSecond = 600;
    expect(verdict(results, 'PostgreSQL ÷ SQLite: jwks')).toMatchObject({ met: true });
  });

  it('holds p99 to 1.5 × the floor, RSS under 150 MB, and store-size p50 within 20 %', () => {
    const store = (rows: number) => ({ backgroundRows: rows, seedSeconds: 1, liveSessions: rows, liveRefreshTokens: rows });
    const results = [
      row('hono', 'floor: one Ed25519 JWT + one SQLite insert', { p99Ms: 20 }),
      row('latchkey-sqlite', 'oauth client_credentials', { p99Ms: 30 }),
      row('latchkey-sqlite', 'oauth refresh_token (pool)', { p99Ms: 31, rssMb: 150 }),
      row('latchkey-sqlite', 'store 1k: oauth refresh_token (pool)', { p50Ms: 10, store: store(1000) }),
      row('latchkey-sqlite', 'store 1M: oauth refresh_token (pool)', { p50Ms: 12, store: store(1_000_000) }),
      row('latchkey-sqlite', 'store 1k: oauth authorization_code (pool)', { p50Ms: 10, store: store(1000) }),
      row('latchkey-sqlite', 'store 1M: oauth authorization_code (pool)', { p50Ms: 13, store: store(1_000_000) }),
    ];
    expect(verdict(results, 'p99 sqlite: oauth client_credentials')).toMatchObject({ met: true });
    expect(verdict(results, 'p99 sqlite: oauth refresh_token')).toMatchObject({ met: false });
    expect(verdict(results, 'RSS sqlite')).toMatchObject({ met: false });
    expect(verdict(results, 'store size sqlite: oauth refresh_token')).toMatchObject({ met: true });
    expect(verdict(results, 'store size sqlite: oauth authorization_code')).toMatchObject({ met: false });
  });
});
