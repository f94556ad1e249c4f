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

export interface Scenario {
  name: string;
  target: string;
  server: Server;
  /** autocannon options beyond url/connections/duration. */
  options: () => Promise<Partial<autocannon.Options>>;
}

/** How long and how hard each scenario is driven. */
export interface Load {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
}

/** Runs autocannon once and summarizes. */
export async function measure(scenario: Scenario, options: Load, extra: Partial<autocannon.Options>, isWarmup: boolean): Promise<ScenarioResult> {
  // autocannon takes the path of a single-request scenario from the URL, not from `path`.
  const { path, ...rest } = extra as Partial<autocannon.Options> & { path?: string };
  let lastResponseAt = 0;
  const cpuBefore = cpuMs(scenario.server.process.pid);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(
      {
        url: scenario.server.url + (path ?? ''),
        connections: options.connections,
        ...(rest.amount ? {} : { duration: isWarmup ? options.warmupSeconds : options.durationSeconds }),
        ...rest,
      } as autocannon.Options,
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    run.on('response', () => (lastResponseAt = Date.now()));
  });
  // A fixed-count run (`amount`) ends mid-second, but autocannon only notices on its next one-second
  // tick, so its per-second average undercounts: divide by the time to the last response instead.
  const seconds = rest.amount ? (lastResponseAt - result.start.getTime()) / 1000 : 0;
  return {
    name: scenario.name,
    target: scenario.target,
    requestsPerSecond: Math.round(seconds > 0 ? result.requests.total / seconds : result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result.requests.total,
    rssMb: rssMb(scenario.server.process.pid),
    cpuMicrosPerRequest: result.requests.total > 0 ? Math.round(((cpuMs(scenario.server.process.pid) - cpuBefore) * 1000) / result.requests.total) : 0,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, (stats as { count: number }).count])),
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

/** The authorization_code scenario: exactly one request per pre-minted code, each with its PKCE verifier. */
export const redeemEachOnce = (path: string, basic: string, codes: Code[]): Partial<autocannon.Options> => ({
  amount: codes.length,
  requests: [
    {
      method: 'POST', path, headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      setupRequest: (request: any) => ({ ...request, body: codeBody(codes.pop()!) }),
    },
  ] as any,
});

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
