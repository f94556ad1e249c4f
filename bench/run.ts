// `npm run bench`: Latchkey, the bare-hono ceiling, the minimal floor and oidc-provider (in memory, and
// on Redis), measured in one run on this machine. Options: --duration S (default 5), --warmup S (2),
// --connections N (50), --repeat N (measured runs per scenario, the median reported; 1),
// --only name[,name] (substring of scenario names or: ceiling, floor, peer, redis, sqlite, postgres, store),
// --postgres URL (default: LATCHKEY_BENCH_DATABASE_URL; PostgreSQL scenarios are skipped without it),
// --redis URL|off (the persistent peer's Redis; default LATCHKEY_BENCH_REDIS_URL or redis://127.0.0.1:6379),
// --store-size (the store-size scenarios: 1,000 and 1,000,000 live sessions; --store-sizes N,N for others),
// --pool-rate R (req/s a pool is minted for before a scenario has been measured; 8000),
// --cpu-prof (a V8 CPU profile of each Latchkey server in bench/results/profiles/<engine>/).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBench, type ScenarioResult } from './harness.js';
import { sizeLabel, startScriptNodeOptions } from './latchkey-scenarios.js';
import { targets } from './targets.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    repeat: { type: 'string', default: '1' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string', default: '' },
    postgres: { type: 'string' },
    redis: { type: 'string' },
    'store-size': { type: 'boolean', default: false },
    'store-sizes': { type: 'string' },
    'pool-rate': { type: 'string', default: '8000' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});

const redisUrl = values.redis ?? process.env.LATCHKEY_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const storeSizes = values['store-sizes'] ? values['store-sizes'].split(',').map(Number) : values['store-size'] ? [1000, 1_000_000] : [];
const started = performance.now();
const results = await runBench({
  durationSeconds: Number(values.duration),
  warmupSeconds: Number(values.warmup),
  connections: Number(values.connections),
  repeat: Number(values.repeat),
  only: values.only ? values.only.split(',') : [],
  postgresUrl: values.postgres ?? process.env.LATCHKEY_BENCH_DATABASE_URL,
  ...(redisUrl === 'off' ? {} : { redisUrl }),
  storeSizes,
  poolRate: Number(values['pool-rate']),
  ...(values['cpu-prof'] ? { cpuProfileDir: fileURLToPath(new URL('./results/profiles/', import.meta.url)) } : {}),
  log: (line) => process.stderr.write(`${line}\n`),
});

const ceiling = results.find((r) => r.name.startsWith('ceiling'));
const floor = results.find((r) => r.name.startsWith('floor'));
const ratio = (a: ScenarioResult | undefined, b: ScenarioResult | undefined) => (a && b && b.requestsPerSecond > 0 ? (a.requestsPerSecond / b.requestsPerSecond).toFixed(2) : '—');

const lines = [
  '| target | scenario | req/s | p50 ms | p99 ms | errors | non-2xx | RSS MB | CPU µs/req | ÷ ceiling | ÷ floor |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...results.map((r) => `| ${r.target} | ${r.name} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors} | ${r.non2xx} | ${r.rssMb} | ${r.cpuMicrosPerRequest} | ${ratio(r, ceiling)} | ${ratio(r, floor)} |`),
];
const pools = results.filter((r) => r.pool).map((r) => `- ${r.target} / ${r.name}: ${r.pool!.used} of ${r.pool!.size} credentials used, minted in ${r.pool!.mintMs} ms${r.pool!.exhausted ? ' — RAN OUT (error)' : ''}`);
const stores = results.filter((r) => r.store).map((r) => `- ${r.target} / ${r.name}: ${r.store!.backgroundRows.toLocaleString('en')} background families (grown in ${r.store!.seedSeconds} s); live before the run: ${r.store!.liveSessions.toLocaleString('en')} sessions, ${r.store!.liveRefreshTokens.toLocaleString('en')} refresh tokens`);
const repeats = results.filter((r) => r.runsRequestsPerSecond).map((r) => `- ${r.target} / ${r.name}: ${r.runsRequestsPerSecond!.join(', ')} req/s`);
const report = [
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  `Settings: ${values.connections} connections, ${values.warmup} s warm-up, ${values.duration} s measured per scenario${Number(values.repeat) > 1 ? `, median of ${values.repeat} runs` : ''}`,
  `Latchkey runs as \`npm start\` does: node ${startScriptNodeOptions().join(' ')} bin/latchkey.js serve (on every engine)`,
  `Whole run: ${Math.round((performance.now() - started) / 1000)} s`,
  '',
  ...lines,
  ...(pools.length ? ['', 'Pools (single-use credentials, each used once):', ...pools] : []),
  ...(stores.length ? ['', `Store size (${storeSizes.map(sizeLabel).join(' vs ')}):`, ...stores] : []),
  ...(repeats.length ? ['', 'Every measured run (the median is in the table):', ...repeats] : []),
  '',
  ...targets(results),
].join('\n');
process.stdout.write(`${report}\n`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.json', import.meta.url), JSON.stringify({ at: new Date().toISOString(), options: values, results }, null, 2));
const failed = results.filter((r) => r.errors > 0 || r.non2xx > 0);
if (failed.length > 0) {
  process.stderr.write(`errors in: ${failed.map((r) => `${r.target}/${r.name}`).join(', ')}\n`);
  process.exitCode = 1;
}
