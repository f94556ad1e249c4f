import { describe, expect, it } from 'vitest';
import { runBench } from '../bench/harness.js';

// The harness works end to end: servers start, one short scenario runs, a well-formed result comes
// back with zero errors. No timing is asserted here — numbers belong to `npm run bench`.
describe('bench harness (issue 7)', () => {
  it('runs a short scenario against a real Latchkey and reports a well-formed, error-free result', async () => {
    const results = await runBench({ durationSeconds: 1, warmupSeconds: 0, connections: 4, only: ['oauth client_credentials'] });
    const ours = results.find((r) => r.target === 'latchkey-sqlite');
    expect(ours).toMatchObject({ name: 'oauth client_credentials', errors: 0, non2xx: 0 });
    expect(ours!.requests).toBeGreaterThan(0);
    expect(ours!.requestsPerSecond).toBeGreaterThan(0);
    expect(ours!.p99Ms).toBeGreaterThanOrEqual(ours!.p50Ms);
    expect(ours!.statusCodes).toEqual({ '200': ours!.requests });
    expect(ours!.rssMb).toBeGreaterThan(0);
    expect(ours!.cpuMicrosPerRequest).toBeGreaterThan(0);
  }, 60_000);
});

describe('bench pools (issue 15)', () => {
  it('redeems each pre-minted credential once, and reports a pool that ran out before the clock as an error', async () => {
    // A pool minted for 1 req/s over 1 s (+ one per connection) runs dry long before the second is over.
    const [tiny] = await runBench({ durationSeconds: 1, warmupSeconds: 0, connections: 4, only: ['oauth refresh_token (pool)'], poolRate: 1 });
    expect(tiny).toMatchObject({ name: 'oauth refresh_token (pool)', target: 'latchkey-sqlite', non2xx: 0 });
    expect(tiny!.pool).toMatchObject({ size: 5, used: 5, exhausted: true });
    // Every request carried an unused token: all 200, and no more requests than credentials.
    expect(tiny!.statusCodes).toEqual({ '200': 5 });
    expect(tiny!.errors).toBe(1);
  }, 60_000);

  it('a pool sized for the run lasts it: 0 errors, and fewer credentials used than minted', async () => {
    const [ample] = await runBench({ durationSeconds: 1, warmupSeconds: 0, connections: 4, only: ['oauth authorization_code (pool)'] });
    expect(ample).toMatchObject({ name: 'oauth authorization_code (pool)', errors: 0, non2xx: 0 });
    expect(ample!.pool!.exhausted).toBe(false);
    expect(ample!.pool!.used).toBeLessThan(ample!.pool!.size);
    expect(ample!.statusCodes).toEqual({ '200': ample!.requests });
  }, 60_000);
});
