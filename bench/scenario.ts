// One scenario, how it is measured (autocannon), and the request shapes the scenarios share.
import { createHash, randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { cpuMs, rssMb, type Server } from './processes.js';

/** One measured scenario. */
export interface ScenarioResult {
  name: string;
  target: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  requests: number;
  rssMb: number;
  /**
   * CPU time the server process spent per request, in µs (user + system, from /proc): steadier than
   * req/s on a shared machine, and what a change to the code moves. PostgreSQL's own CPU is not in it.
   */
  cpuMicrosPerRequest: number;
  statusCodes: Record<string, number>;
  /** With --repeat: every measured run's req/s, in order (this result is the median run). */
  runsRequestsPerSecond?: number[];
  /** Pool scenarios: credentials minted for this run, how many were used, and the minting time. */
  pool?: { size: number; used: number; mintMs: number; exhausted: boolean };
  store?: StoreState;
}

export async function json(url: string, init: RequestInit & { json?: unknown } = {}): Promise<any> {
  const { json: body, ...rest } = init;
  const response = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    ...rest,
    headers: { 'content-type': 'application/json', ...(rest.headers as Record<string, string>) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

export type Requests = autocannon.Options['requests'];

/** autocannon options beyond url/connections/duration, and the credential pool a pool scenario drains. */
export type ScenarioOptions = Partial<autocannon.Options> & { pool?: CredentialPool; store?: StoreState };

/** Store-size scenarios: the background grown before the run, how long growing took, and what was live. */
export interface StoreState {
  backgroundRows: number;
  seedSeconds: number;
  liveSessions: number;
  liveRefreshTokens: number;
}

/** What a scenario is asked for before each run: how long it will be driven, and how many single-use credentials to mint. */
export interface RunPlan {
  seconds: number;
  poolSize: number;
}

export interface Scenario {
  name: string;
  target: string;
  server: Server;
  options: (plan: RunPlan) => Promise<ScenarioOptions>;
  /** Scenarios that drain a pool of single-use credentials (the harness sizes it). */
  usesPool?: boolean;
}

/**
 * Single-use credentials minted before a run. Each request takes the next unused one; autocannon's
 * `amount` is the pool's size, so it stops by itself rather than reuse one, and a run that ends
 * that way — before its duration — is reported as an error (the pool was too small), never padded.
 */
export interface CredentialPool {
  size: number;
  used: () => number;
  mintMs: number;
  /** Removes the credentials the run did not use, so they do not pile up in the store (or the peer's memory). */
  release?: () => Promise<void>;
}

/** Requests that each take the next unused credential of `items` (never one twice). */
export function poolRequests<T>(
  items: T[], mintMs: number, request: { method: 'POST' | 'GET'; path: string; headers: Record<string, string> }, body: (item: T) => string,
  release?: (unused: T[]) => Promise<void>,
): ScenarioOptions {
  let next = 0;
  return {
    pool: { size: items.length, used: () => Math.min(next, items.length), mintMs, ...(release ? { release: () => release(items.slice(next)) } : {}) },
    requests: [
      {
        ...request,
        setupRequest: (req: any) => {
          // `amount` keeps autocannon from asking for more; should it ever, the request carries no
          // credential at all (answered 4xx, so counted) rather than a used one.
          const item = items[next++];
          return { ...req, body: item === undefined ? 'pool-exhausted' : body(item) };
        },
      },
    ] as any,
  };
}

/** How long and how hard each scenario is driven. */
export interface Load {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
}

/** Runs autocannon once and summarizes. */
export async function measure(scenario: Scenario, options: Load, extra: ScenarioOptions, isWarmup: boolean): Promise<ScenarioResult> {
  // autocannon takes the path of a single-request scenario from the URL, not from `path`.
  const { path, pool, store, ...rest } = extra as ScenarioOptions & { path?: string };
  const duration = isWarmup ? options.warmupSeconds : options.durationSeconds;
  let lastResponseAt = 0;
  let stoppedByClock = false;
  const cpuBefore = cpuMs(scenario.server.process.pid);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    let clock: NodeJS.Timeout | undefined;
    const run = autocannon(
      {
        url: scenario.server.url + (path ?? ''),
        connections: Math.min(options.connections, pool?.size ?? Infinity),
        // A pool run is bounded by its pool (`amount`) and stopped by the clock below.
        ...(pool ? { amount: pool.size } : rest.amount ? {} : { duration }),
        ...rest,
      } as autocannon.Options,
      (error, done) => {
        clearTimeout(clock);
        return error ? reject(error) : resolve(done);
      },
    );
    if (pool) {
      clock = setTimeout(() => {
        stoppedByClock = true;
        run.stop();
      }, duration * 1000);
    }
    run.on('response', () => (lastResponseAt = Date.now()));
  });
  // A fixed-count run ends mid-second, and a stopped one on the next one-second tick, so the
  // per-second average is off: divide by the time to the last response instead.
  const seconds = rest.amount || pool ? (lastResponseAt - result.start.getTime()) / 1000 : 0;
  const exhausted = pool !== undefined && !stoppedByClock;
  return {
    name: scenario.name,
    target: scenario.target,
    requestsPerSecond: Math.round(seconds > 0 ? result.requests.total / seconds : result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    // A pool that ran out before the clock is an error of the run: the measured period was cut short.
    errors: result.errors + (exhausted ? 1 : 0), // autocannon counts its timeouts among its errors
    non2xx: result.non2xx,
    requests: result.requests.total,
    rssMb: rssMb(scenario.server.process.pid),
    cpuMicrosPerRequest: result.requests.total > 0 ? Math.round(((cpuMs(scenario.server.process.pid) - cpuBefore) * 1000) / result.requests.total) : 0,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, (stats as { count: number }).count])),
    ...(pool ? { pool: { size: pool.size, used: pool.used(), mintMs: pool.mintMs, exhausted } } : {}),
    ...(store ? { store } : {}),
  };
}

export const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

/** An authorization code and the PKCE verifier that redeems it. */
export interface Code {
  code: string;
  verifier: string;
}

export const REDIRECT_URI = 'http://127.0.0.1:8080/callback';
export const basicAuth = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
export const codeBody = ({ code, verifier }: Code) =>
  `grant_type=authorization_code&code=${code}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code_verifier=${verifier}`;

/**
 * Rotating tokens: a shared queue holds one live token per connection; each request takes one and
 * its response puts the successor back (autocannon's per-connection context does not outlive one
 * pass over the request list).
 */
export const chained = (path: string, body: (token: string) => string, contentType: string, headers: Record<string, string>, pick: (response: any) => string, pool: string[]): Requests => [
  {
    method: 'POST',
    path,
    headers: { 'content-type': contentType, ...headers },
    setupRequest: (request: any) => ({ ...request, body: body(pool.shift()!) }),
    onResponse: (status: number, responseBody: string) => {
      if (status === 200) pool.push(pick(JSON.parse(responseBody)));
    },
  } as any,
];

/** Each code redeemed once at the token endpoint; the refresh tokens that start the chains. */
export async function redeemForRefreshTokens(tokenUrl: string, basic: string, codes: Code[]): Promise<string[]> {
  return Promise.all(
    codes.map(async (code) => {
      const response = await fetch(tokenUrl, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: codeBody(code) });
      const body = await response.json();
      if (!body.refresh_token) throw new Error(`${tokenUrl}: no refresh_token (${response.status} ${JSON.stringify(body)})`);
      return body.refresh_token as string;
    }),
  );
}
