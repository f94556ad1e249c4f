// Issue 15's targets, each computed as a ratio from one run's results and marked met / not met.
// The targets compare with the in-memory oidc-provider (target 'oidc-provider'); the Redis peer is
// shown beside it in the table, not targeted.
import type { ScenarioResult } from './scenario.js';

const PEER = 'oidc-provider';
const SQLITE = 'latchkey-sqlite';
const POSTGRES = 'latchkey-postgres';
/** The scenarios that issue tokens (a grant): the p99 target applies to each. */
const GRANTS = ['consumer refresh (pool)', 'oauth client_credentials', 'oauth refresh_token (pool)', 'oauth authorization_code (pool)'];

export interface Target {
  label: string;
  /** undefined: not measured in this run. */
  met: boolean | undefined;
  detail: string;
}

const fixed = (n: number) => n.toFixed(2);

export function evaluateTargets(results: ScenarioResult[]): Target[] {
  const find = (name: string, target: string) => results.find((r) => r.name === name && r.target === target);
  const out: Target[] = [];
  const notMeasured = (label: string, what: string) => out.push({ label, met: undefined, detail: `not measured (${what} missing)` });

  const versusPeer = (ours: string, theirs: string, label: string) => {
    const a = find(ours, SQLITE);
    const b = find(theirs, PEER);
    if (!a || !b || b.requestsPerSecond === 0) return notMeasured(label, !a ? `${SQLITE} ${ours}` : `${PEER} ${theirs}`);
    const ratio = a.requestsPerSecond / b.requestsPerSecond;
    out.push({ label, met: ratio >= 1.5, detail: `${fixed(ratio)} × (${a.requestsPerSecond} ÷ ${b.requestsPerSecond} req/s; ≥ 1.5)` });
  };
  versusPeer('oauth refresh_token (pool)', 'oauth refresh_token (pool)', 'OAuth refresh_token ÷ peer refresh_token (SQLite, pools)');
  versusPeer('consumer refresh (pool)', 'oauth refresh_token (pool)', 'consumer refresh ÷ peer refresh_token (SQLite, pools)');
  versusPeer('oauth authorization_code (pool)', 'oauth authorization_code (pool)', 'authorization_code ÷ peer authorization_code (SQLite, pools)');

  // client_credentials: in every measured run, not only the median (run i against the peer's run i).
  {
    const label = 'client_credentials ÷ peer, every run (SQLite)';
    const a = find('oauth client_credentials', SQLITE);
    const b = find('oauth client_credentials', PEER);
    if (!a || !b) notMeasured(label, !a ? SQLITE : PEER);
    else {
      const ours = a.runsRequestsPerSecond ?? [a.requestsPerSecond];
      const theirs = b.runsRequestsPerSecond ?? [b.requestsPerSecond];
      const ratios = ours.slice(0, theirs.length).map((r, i) => r / Math.max(1, theirs[i]!));
      out.push({ label, met: ratios.every((r) => r >= 1.5), detail: `${ratios.map(fixed).join(', ')} × (each ≥ 1.5)` });
    }
  }

  {
    const label = 'external authorize + exchange pairs/s (SQLite)';
    const pairs = find('external authorize+exchange (pairs)', SQLITE);
    if (!pairs) notMeasured(label, 'the pairs scenario');
    else out.push({ label, met: pairs.requestsPerSecond / 2 >= 3000, detail: `${Math.round(pairs.requestsPerSecond / 2)} pairs/s (≥ 3,000)` });
  }

  // PostgreSQL: each scenario ≥ 60 % of the same scenario on SQLite in this run.
  // (The store-size rows are compared within their engine, below.)
  for (const pg of results.filter((r) => r.target === POSTGRES && !r.store)) {
    const label = `PostgreSQL ÷ SQLite: ${pg.name}`;
    const lite = find(pg.name, SQLITE);
    if (!lite || lite.requestsPerSecond === 0) notMeasured(label, `${SQLITE} ${pg.name}`);
    else {
      const share = pg.requestsPerSecond / lite.requestsPerSecond;
      out.push({ label, met: share >= 0.6, detail: `${Math.round(share * 100)} % (${pg.requestsPerSecond} ÷ ${lite.requestsPerSecond} req/s; ≥ 60 %)` });
    }
  }

  // p99 ≤ 1.5 × the floor's p99, for every grant on every engine.
  const floor = results.find((r) => r.name.startsWith('floor'));
  for (const target of [SQLITE, POSTGRES]) {
    for (const grant of GRANTS) {
      const r = find(grant, target);
      if (!r) continue;
      const label = `p99 ${target.replace('latchkey-', '')}: ${grant}`;
      if (!floor) notMeasured(label, 'the floor');
      else out.push({ label, met: r.p99Ms <= 1.5 * floor.p99Ms, detail: `${r.p99Ms} ms (≤ 1.5 × floor ${floor.p99Ms} ms = ${1.5 * floor.p99Ms} ms)` });
    }
  }

  // RSS under 150 MB under load, on each engine: the largest reading at the end of any of its scenarios.
  for (const target of [SQLITE, POSTGRES]) {
    const rows = results.filter((r) => r.target === target && !r.name.startsWith('store '));
    if (rows.length === 0) continue;
    const worst = rows.reduce((a, b) => (b.rssMb > a.rssMb ? b : a));
    out.push({ label: `RSS ${target.replace('latchkey-', '')} (largest of its scenarios)`, met: worst.rssMb < 150, detail: `${worst.rssMb} MB after "${worst.name}" (< 150 MB)` });
  }

  // Cost flat in store size: p50 at the largest store within 20 % of the smallest.
  for (const target of [SQLITE, POSTGRES]) {
    for (const grant of ['oauth refresh_token (pool)', 'oauth authorization_code (pool)']) {
      const sized = results.filter((r) => r.target === target && r.store && r.name.endsWith(grant)).sort((a, b) => a.store!.backgroundRows - b.store!.backgroundRows);
      if (sized.length < 2) continue;
      const small = sized[0]!;
      const large = sized[sized.length - 1]!;
      const ratio = large.p50Ms / Math.max(1, small.p50Ms);
      out.push({
        label: `store size ${target.replace('latchkey-', '')}: ${grant}`,
        met: ratio <= 1.2,
        detail: `p50 ${large.p50Ms} ms at ${large.store!.backgroundRows.toLocaleString('en')} ÷ ${small.p50Ms} ms at ${small.store!.backgroundRows.toLocaleString('en')} = ${fixed(ratio)} (≤ 1.20; CPU µs/req ${large.cpuMicrosPerRequest} vs ${small.cpuMicrosPerRequest})`,
      });
    }
  }
  return out;
}

/** Ratios shown for information, with no target: UserInfo against both peers, and the pools against the Redis peer. */
export function comparisons(results: ScenarioResult[]): string[] {
  const find = (name: string, target: string) => results.find((r) => r.name === name && r.target === target);
  const lines: string[] = [];
  for (const engine of [SQLITE, POSTGRES]) {
    for (const name of ['oauth client_credentials', 'oauth refresh_token (pool)', 'oauth authorization_code (pool)', 'oidc userinfo']) {
      const ours = find(name, engine);
      if (!ours) continue;
      const against = [PEER, `${PEER} (redis)`]
        .map((peer) => find(name, peer))
        .filter((r): r is ScenarioResult => r !== undefined && r.requestsPerSecond > 0)
        .map((r) => `${fixed(ours.requestsPerSecond / r.requestsPerSecond)} × ${r.target}`);
      if (against.length > 0) lines.push(`- ${engine} ${name}: ${against.join(', ')}`);
    }
  }
  return lines.length > 0 ? ['Latchkey ÷ peers (information; the targets are against the in-memory peer):', ...lines] : [];
}

/** The "targets" block printed after the table. */
export function targets(results: ScenarioResult[]): string[] {
  const evaluated = evaluateTargets(results);
  const mark = (t: Target) => (t.met === undefined ? 'not measured' : t.met ? 'met' : 'NOT MET');
  const info = comparisons(results);
  return [
    ...(info.length > 0 ? [...info, ''] : []),
    'Targets (issue 15), from this run:',
    ...evaluated.map((t) => `- ${mark(t)}: ${t.label} — ${t.detail}`),
  ];
}
