// `npm run bench`'s engine: starts every server, runs each scenario (warm-up, then measured), stops
// everything. The servers are in processes.ts, the measuring in scenario.ts, the scenarios in
// latchkey-scenarios.ts and peer-scenarios.ts.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latchkeyCredentials, latchkeyScenarios, startLatchkeyWith, storeSizeScenarios } from './latchkey-scenarios.js';
import { peerScenarios } from './peer-scenarios.js';
import { freshPostgresSchema, startProcess, type Server } from './processes.js';
import { measure, type RunPlan, type Scenario, type ScenarioResult } from './scenario.js';
import { deleteRedisPrefix } from './servers/redis-adapter.js';

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
  /** The persistent peer's Redis (oidc-provider with a Redis adapter); that peer is skipped when undefined. */
  redisUrl?: string;
  /**
   * Store sizes (live sessions + refresh tokens) for the store-size scenarios, each on a Latchkey of
   * its own per engine; none when empty (they take a while: seeding 1,000,000 rows).
   */
  storeSizes?: number[];
  /**
   * The rate (req/s) a pool scenario's credentials are minted for when nothing has been measured yet
   * (the warm-up); later runs mint for 4 × the best rate the scenario reached, at least 2,000 (default 8,000).
   */
  poolRate?: number;
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
      scenarios.push(...peerScenarios(peer, 'oidc-provider', options.connections));
    }
    if (options.redisUrl && (wants('peer') || options.only.includes('redis'))) {
      // Its own key prefix, deleted (only it) when the run ends.
      const prefix = `latchkey-bench:${randomBytes(6).toString('hex')}:`;
      const redisUrl = options.redisUrl;
      cleanups.push(async () => void (await deleteRedisPrefix(redisUrl, prefix)));
      const peer = await startProcess(process.execPath, ['--import', 'tsx', 'bench/servers/oidc-provider-peer.ts'], { PEER_ADAPTER: 'redis', PEER_REDIS_URL: redisUrl, PEER_REDIS_PREFIX: prefix });
      servers.push(peer);
      scenarios.push(...peerScenarios(peer, 'oidc-provider (redis)', options.connections));
    }
    const reserved = ['ceiling', 'floor', 'peer', 'redis', 'store'];
    const storeSizes = options.storeSizes ?? [];
    const databases: Array<{ url: string; label: string }> = [];
    const mainWanted = options.only.length === 0 || options.only.some((o) => !reserved.includes(o));
    const storeWanted = storeSizes.length > 0 && (options.only.length === 0 || options.only.some((o) => o === 'store' || o === 'sqlite' || o === 'postgres'));
    if (mainWanted || storeWanted) {
      databases.push({ url: `sqlite:${join(mkdtempSync(join(tmpdir(), 'latchkey-bench-')), 'bench.db')}`, label: 'sqlite' });
      if (options.postgresUrl) {
        const schema = await freshPostgresSchema(options.postgresUrl);
        cleanups.push(schema.drop);
        databases.push({ url: schema.url, label: 'postgres' });
      }
    }
    const start = async (database: { url: string; label: string }) => {
      const secret = randomBytes(32).toString('base64url');
      const lk = Object.assign(await startLatchkeyWith(database.url, database.label, secret, options.cpuProfileDir), { databaseUrl: database.url, secret });
      servers.push(lk.server);
      const credentials = latchkeyCredentials(lk);
      cleanups.unshift(credentials.close); // before a schema is dropped
      return { lk, credentials };
    };
    if (mainWanted) {
      for (const database of databases) {
        const { lk, credentials } = await start(database);
        scenarios.push(...latchkeyScenarios(lk, credentials, options.connections).filter((s) => wants(s.name) || options.only.length === 0 || options.only.includes(database.label)));
      }
    }
    if (storeWanted) {
      // A Latchkey of its own per engine, on a store of its own, so "1k" is not the main run's leftovers.
      for (const database of databases) {
        const url = database.label === 'sqlite' ? `sqlite:${join(mkdtempSync(join(tmpdir(), 'latchkey-bench-size-')), 'bench.db')}` : await (async () => {
          const schema = await freshPostgresSchema(options.postgresUrl!);
          cleanups.push(schema.drop);
          return schema.url;
        })();
        const { lk, credentials } = await start({ url, label: database.label });
        scenarios.push(...storeSizeScenarios(lk, credentials, storeSizes, log));
      }
    }
    // Pool sizes: the generous rate until the scenario has been measured, then 4 × its best rate (at
    // least 2,000 req/s): on this shared machine a warm-up can run at a third of the measured rate.
    const bestRate = new Map<Scenario, number>();
    const plan = (scenario: Scenario, seconds: number): RunPlan => {
      const measured = bestRate.get(scenario);
      const rate = measured === undefined ? (options.poolRate ?? 8000) : Math.max(2000, 4 * measured);
      return { seconds, poolSize: scenario.usesPool ? Math.ceil(seconds * rate) + options.connections : 0 };
    };
    const measureOnce = async (scenario: Scenario, isWarmup: boolean) => {
      const seconds = isWarmup ? options.warmupSeconds : options.durationSeconds;
      const extra = await scenario.options(plan(scenario, seconds));
      const result = await measure(scenario, options, extra, isWarmup);
      await extra.pool?.release?.();
      bestRate.set(scenario, Math.max(bestRate.get(scenario) ?? 0, result.requestsPerSecond));
      if (result.pool?.exhausted) log(`  ${scenario.target}: ${scenario.name}: its pool of ${result.pool.size} ran out before the clock — an error (use --pool-rate)`);
      return result;
    };
    for (const scenario of scenarios) {
      log(`… ${scenario.target}: ${scenario.name}`);
      if (options.warmupSeconds > 0) {
        // Pool scenarios warm up on a pool of their own (credentials are single use), so the measured
        // run does not pay for the JIT's first passes over the code path either.
        await measureOnce(scenario, true);
      }
      // Fresh options each time: credentials are single use, and rotating tokens moved on meanwhile.
      const runs: ScenarioResult[] = [];
      for (let run = 0; run < (options.repeat ?? 1); run++) runs.push(await measureOnce(scenario, false));
      results.push(medianRun(runs));
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    for (const cleanup of cleanups) await cleanup();
  }
  return results;
}
