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
