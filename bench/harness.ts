// `npm run bench`'s engine: starts every server, runs each scenario (warm-up, then measured), stops
// everything. The servers are in processes.ts, the measuring in scenario.ts, the scenarios in
// latchkey-scenarios.ts and peer-scenarios.ts.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latchkeyScenarios, startLatchkeyWith } from './latchkey-scenarios.js';
import { peerScenarios } from './peer-scenarios.js';
import { freshPostgresSchema, startProcess, type Server } from './processes.js';
import { measure, type Scenario, type ScenarioResult } from './scenario.js';

export type { ScenarioResult } from './scenario.js';

export interface BenchOptions {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** Scenario names to run (all when empty). */
  only: string[];
  /** Also run Latchkey on PostgreSQL when this URL is given. */
  postgresUrl?: string;
  /** Measured runs per scenario; the one with the median req/s is reported (default 1). */
  repeat?: number;
  /** Write a V8 CPU profile of each Latchkey server to this directory (`node --cpu-prof`). */
  cpuProfileDir?: string;
  log?: (line: string) => void;
}

/**
 * The run with the median req/s, carrying every run's req/s: on a shared machine one neighbour's burst
 * lands on one run, and the median of a few is what a change to the code moved.
 */
function medianRun(runs: ScenarioResult[]): ScenarioResult {
  const sorted = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return runs.length > 1 ? { ...median, runsRequestsPerSecond: runs.map((r) => r.requestsPerSecond) } : median;
}

/** Starts everything, runs the scenarios (warm-up, then measure), stops everything. */
export async function runBench(options: BenchOptions): Promise<ScenarioResult[]> {
  const log = options.log ?? (() => undefined);
  const wants = (name: string) => options.only.length === 0 || options.only.some((o) => name.includes(o));
  const servers: Server[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const results: ScenarioResult[] = [];
  try {
    const scenarios: Scenario[] = [];
    // `node --import tsx`, not the tsx wrapper: RSS is then read off the server process itself.
    const typescript = (script: string) => startProcess(process.execPath, ['--import', 'tsx', script], {});
    if (wants('ceiling')) {
      const ceiling = await typescript('bench/servers/ceiling.ts');
      servers.push(ceiling);
      scenarios.push({ name: 'ceiling: bare hono JSON POST', target: 'hono', server: ceiling, options: async () => ({ method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: '{"n":1}' }) });
    }
    if (wants('floor')) {
      const floor = await typescript('bench/servers/floor.ts');
      servers.push(floor);
      scenarios.push({ name: 'floor: one Ed25519 JWT + one SQLite insert', target: 'hono', server: floor, options: async () => ({ method: 'POST', path: '/token', headers: { 'content-type': 'application/json' }, body: '{}' }) });
    }
    if (wants('peer')) {
      const peer = await typescript('bench/servers/oidc-provider-peer.ts');
      servers.push(peer);
      scenarios.push(...peerScenarios(peer, options.connections));
    }
    const databases: Array<{ url: string; label: string }> = [];
    if (options.only.length === 0 || options.only.some((o) => !['ceiling', 'floor', 'peer'].includes(o))) {
      databases.push({ url: `sqlite:${join(mkdtempSync(join(tmpdir(), 'latchkey-bench-')), 'bench.db')}`, label: 'sqlite' });
      if (options.postgresUrl) {
        const schema = await freshPostgresSchema(options.postgresUrl);
        cleanups.push(schema.drop);
        databases.push({ url: schema.url, label: 'postgres' });
      }
    }
    for (const database of databases) {
      const secret = randomBytes(32).toString('base64url');
      const lk = Object.assign(await startLatchkeyWith(database.url, database.label, secret, options.cpuProfileDir), { databaseUrl: database.url, secret });
      servers.push(lk.server);
      scenarios.push(...latchkeyScenarios(lk, options.connections).filter((s) => wants(s.name) || options.only.length === 0 || options.only.includes(database.label)));
    }
    for (const scenario of scenarios) {
      log(`… ${scenario.target}: ${scenario.name}`);
      if (options.warmupSeconds > 0) {
        // A fixed-count scenario warms up on a batch of its own (its codes are single use), so its
        // measured run does not pay for the JIT's first passes over the code path either.
        await measure(scenario, options, await scenario.options(), true);
      }
      // Fresh options each time: codes are single use, and rotating tokens moved on meanwhile.
      const runs: ScenarioResult[] = [];
      for (let run = 0; run < (options.repeat ?? 1); run++) runs.push(await measure(scenario, options, await scenario.options(), false));
      results.push(medianRun(runs));
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    for (const cleanup of cleanups) await cleanup();
  }
  return results;
}
