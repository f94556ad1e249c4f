// `npm run bench`: Latchkey, the bare-hono ceiling, the minimal floor and oidc-provider, measured in
// one run on this machine. Options: --duration S (default 5), --warmup S (2), --connections N (50),
// --repeat N (measured runs per scenario, the median reported; 1),
// --only name[,name] (substring of scenario names or: ceiling, floor, peer, sqlite, postgres),
// --postgres URL (default: LATCHKEY_BENCH_DATABASE_URL; PostgreSQL scenarios are skipped without it),
// --cpu-prof (a V8 CPU profile of each Latchkey server in bench/results/profiles/<engine>/).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBench, type ScenarioResult } from './harness.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    repeat: { type: 'string', default: '1' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string', default: '' },
    postgres: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});

const results = await runBench({
  durationSeconds: Number(values.duration),
  warmupSeconds: Number(values.warmup),
  connections: Number(values.connections),
  repeat: Number(values.repeat),
  only: values.only ? values.only.split(',') : [],
  postgresUrl: values.postgres ?? process.env.LATCHKEY_BENCH_DATABASE_URL,
  ...(values['cpu-prof'] ? { cpuProfileDir: fileURLToPath(new URL('./results/profiles/', import.meta.url)) } : {}),
  log: (line) => process.stderr.write(`${line}\n`),
});

const find = (name: string, target: string) => results.find((r) => r.name.startsWith(name) && r.target === target);
const ceiling = results.find((r) => r.name.startsWith('ceiling'));
const floor = results.find((r) => r.name.startsWith('floor'));
const ratio = (a: ScenarioResult | undefined, b: ScenarioResult | undefined) => (a && b && b.requestsPerSecond > 0 ? (a.requestsPerSecond / b.requestsPerSecond).toFixed(2) : '—');

const lines = [
  '| target | scenario | req/s | p50 ms | p99 ms | errors | non-2xx | RSS MB | CPU µs/req | ÷ ceiling | ÷ floor |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...results.map((r) => `| ${r.target} | ${r.name} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors} | ${r.non2xx} | ${r.rssMb} | ${r.cpuMicrosPerRequest} | ${ratio(r, ceiling)} | ${ratio(r, floor)} |`),
];
const comparisons = ['oauth client_credentials', 'oauth refresh_token', 'oauth authorization_code'].map((name) => {
  const peer = find(name, 'oidc-provider');
  const ours = find(name, 'latchkey-sqlite');
  return `- ${name}: Latchkey (SQLite) ÷ oidc-provider = ${ratio(ours, peer)}`;
});
const report = [
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  `Settings: ${values.connections} connections, ${values.warmup} s warm-up, ${values.duration} s measured per scenario${Number(values.repeat) > 1 ? `, median of ${values.repeat} runs` : ''}`,
  '',
  ...lines,
  '',
  ...comparisons,
].join('\n');
process.stdout.write(`${report}\n`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.json', import.meta.url), JSON.stringify({ at: new Date().toISOString(), options: values, results }, null, 2));
const failed = results.filter((r) => r.errors > 0 || r.non2xx > 0);
if (failed.length > 0) {
  process.stderr.write(`errors in: ${failed.map((r) => `${r.target}/${r.name}`).join(', ')}\n`);
  process.exitCode = 1;
}
