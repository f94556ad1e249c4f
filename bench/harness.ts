import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

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
}

export interface BenchOptions {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** Scenario names to run (all when empty). */
  only: string[];
  /** Also run Latchkey on PostgreSQL when this URL is given. */
  postgresUrl?: string;
  /** Write a V8 CPU profile of each Latchkey server to this directory (`node --cpu-prof`). */
  cpuProfileDir?: string;
  log?: (line: string) => void;
}

interface Server {
  url: string;
  process: ChildProcess;
  stdout: () => string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts a server process and waits until `ready` appears (or it answers /healthz). */
async function startProcess(command: string, args: string[], env: Record<string, string>, readyPath?: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port), LATCHKEY_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (chunk) => (out += String(chunk)));
  child.stderr!.on('data', (chunk) => (out += String(chunk)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited: ${out}`);
    if (out.includes('ready\n')) break;
    if (readyPath) {
      try {
        if ((await fetch(url + readyPath)).ok) break;
      } catch {
        // not yet
      }
    }
    if (Date.now() > deadline) throw new Error(`${args.join(' ')} did not start: ${out}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    process: child,
    stdout: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** User + system CPU time of a process so far, in ms (Linux /proc; 0 elsewhere). */
function cpuMs(pid: number | undefined): number {
  try {
    // Fields 14 and 15 (utime, stime), counted after the parenthesized command name, in clock ticks
    // (USER_HZ, 100 on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

function rssMb(pid: number | undefined): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    return Math.round(kb / 1024);
  } catch {
    return 0;
  }
}

async function json(url: string, init: RequestInit & { json?: unknown } = {}): Promise<any> {
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

type Requests = autocannon.Options['requests'];

interface Scenario {
  name: string;
  target: string;
  server: Server;
  /** autocannon options beyond url/connections/duration. */
  options: () => Promise<Partial<autocannon.Options>>;
}

/** Runs autocannon once and summarizes. */
async function measure(scenario: Scenario, options: BenchOptions, extra: Partial<autocannon.Options>, isWarmup: boolean): Promise<ScenarioResult> {
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

type Latchkey = Awaited<ReturnType<typeof startLatchkeyWith>> & { databaseUrl: string; secret: string };

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

/** An authorization code and the PKCE verifier that redeems it. */
interface Code {
  code: string;
  verifier: string;
}

const REDIRECT_URI = 'http://127.0.0.1:8080/callback';
const basicAuth = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const codeBody = ({ code, verifier }: Code) =>
  `grant_type=authorization_code&code=${code}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code_verifier=${verifier}`;

/**
 * Rotating tokens: a shared queue holds one live token per connection; each request takes one and
 * its response puts the successor back (autocannon's per-connection context does not outlive one
 * pass over the request list).
 */
const chained = (path: string, body: (token: string) => string, contentType: string, headers: Record<string, string>, pick: (response: any) => string, pool: string[]): Requests => [
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
const redeemEachOnce = (path: string, basic: string, codes: Code[]): Partial<autocannon.Options> => ({
  amount: codes.length,
  requests: [
    {
      method: 'POST', path, headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      setupRequest: (request: any) => ({ ...request, body: codeBody(codes.pop()!) }),
    },
  ] as any,
});

/** Each code redeemed once at the token endpoint; the refresh tokens that start the chains. */
async function redeemForRefreshTokens(tokenUrl: string, basic: string, codes: Code[]): Promise<string[]> {
  return Promise.all(
    codes.map(async (code) => {
      const response = await fetch(tokenUrl, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: codeBody(code) });
      const body = await response.json();
      if (!body.refresh_token) throw new Error(`${tokenUrl}: no refresh_token (${response.status} ${JSON.stringify(body)})`);
      return body.refresh_token as string;
    }),
  );
}

/** The scenarios on one Latchkey (SQLite or PostgreSQL). */
function latchkeyScenarios(lk: Latchkey, connections: number): Scenario[] {
  const { server, publishableKey, secretKey, label } = lk;
  const basic = basicAuth(publishableKey, secretKey);
  const identity = (n: number) => ({ provider: 'bench', issuer: 'https://bench.example', subject: `user-${n % 1000}` });
  const signIn = async (n: number) => {
    const { exchangeCode } = await json(`${server.url}/auth/external/authorize`, { json: identity(n), headers: { authorization: `Bearer ${secretKey}` } });
    return json(`${server.url}/auth/external/exchange`, { json: { exchangeCode }, headers: { 'x-publishable-key': publishableKey } });
  };
  return [
    {
      name: 'external authorize', target: `latchkey-${label}`, server,
      options: async () => ({ method: 'POST', path: '/auth/external/authorize', headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' }, body: JSON.stringify(identity(1)) }),
    },
    {
      name: 'external authorize+exchange (pairs)', target: `latchkey-${label}`, server,
      options: async () => ({
        requests: [
          {
            method: 'POST', path: '/auth/external/authorize', headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' }, body: JSON.stringify(identity(2)),
            onResponse: (status: number, responseBody: string, context: any) => {
              if (status === 200) context.code = JSON.parse(responseBody).exchangeCode;
            },
          },
          {
            method: 'POST', path: '/auth/external/exchange', headers: { 'x-publishable-key': publishableKey, 'content-type': 'application/json' },
            setupRequest: (request: any, context: any) => ({ ...request, body: JSON.stringify({ exchangeCode: context.code }) }),
          },
        ] as any,
      }),
    },
    {
      name: 'consumer refresh', target: `latchkey-${label}`, server,
      options: async () => {
        const pool = await Promise.all(Array.from({ length: connections }, async (_, i) => (await signIn(i)).refreshToken as string));
        return { requests: chained('/auth/refresh', (t) => JSON.stringify({ refreshToken: t }), 'application/json', { 'x-publishable-key': publishableKey }, (r) => r.refreshToken, pool) };
      },
    },
    {
      name: 'oauth client_credentials', target: `latchkey-${label}`, server,
      options: async () => ({ method: 'POST', path: '/v1/auth/oauth/token', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=profile' }),
    },
    {
      name: 'oauth refresh_token', target: `latchkey-${label}`, server,
      options: async () => {
        const pool = await mintOAuthRefreshTokens(lk, connections);
        return { requests: chained('/v1/auth/oauth/token', (t) => `grant_type=refresh_token&refresh_token=${t}`, 'application/x-www-form-urlencoded', { authorization: basic }, (r) => r.refresh_token, pool) };
      },
    },
    {
      name: 'oauth authorization_code', target: `latchkey-${label}`, server,
      options: async () => {
        const codes = await mintAuthorizationCodes(lk, 3000);
        return redeemEachOnce('/v1/auth/oauth/token', basic, codes);
      },
    },
    { name: 'jwks', target: `latchkey-${label}`, server, options: async () => ({ method: 'GET', path: '/.well-known/jwks.json' }) },
  ];
}

/** A user's login token, then codes minted through API mode (steps 1 and 3). */
async function loginToken(lk: Latchkey): Promise<string> {
  const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
  const cli = spawn(process.execPath, ['bin/latchkey.js', 'users', 'create', '--email', email, '--password', 'bench password 123'], {
    cwd: ROOT, env: { ...process.env, LATCHKEY_DATABASE_URL: lk.databaseUrl, LATCHKEY_SECRET: lk.secret }, stdio: 'ignore',
  });
  await new Promise((resolve) => cli.once('exit', resolve));
  const login = await json(`${lk.server.url}/v1/auth/login`, { json: { email, password: 'bench password 123' }, headers: { 'x-client-key': lk.publishableKey } });
  return login.accessToken;
}

async function mintAuthorizationCodes(lk: Latchkey, count: number) {
  const token = await loginToken(lk);
  const codes: Code[] = [];
  const mintOne = async () => {
    const { verifier, challenge } = pkce();
    const query = new URLSearchParams({
      response_type: 'code', client_id: lk.publishableKey, redirect_uri: REDIRECT_URI, state: 'bench-state-1',
      code_challenge: challenge, code_challenge_method: 'S256', scope: 'profile', mode: 'api',
    });
    const { token: session } = await json(`${lk.server.url}/v1/auth/oauth/authorize/initiate?${query}`);
    const { code } = await json(`${lk.server.url}/v1/auth/oauth/authorize`, { json: { token: session }, headers: { 'x-client-key': lk.publishableKey, authorization: `Bearer ${token}` } });
    codes.push({ code, verifier });
  };
  for (let i = 0; i < count; i += 50) await Promise.all(Array.from({ length: Math.min(50, count - i) }, mintOne));
  return codes;
}

async function mintOAuthRefreshTokens(lk: Latchkey, count: number): Promise<string[]> {
  const codes = await mintAuthorizationCodes(lk, count);
  return redeemForRefreshTokens(`${lk.server.url}/v1/auth/oauth/token`, basicAuth(lk.publishableKey, lk.secretKey), codes);
}

const PEER_BASIC = basicAuth('bench', 'bench-secret-0123456789abcdef0123456789');

/** The scenarios on oidc-provider; names match Latchkey's so run.ts can compare them. */
function peerScenarios(server: Server, connections: number): Scenario[] {
  const form = { authorization: PEER_BASIC, 'content-type': 'application/x-www-form-urlencoded' };
  return [
    {
      name: 'oauth client_credentials', target: 'oidc-provider', server,
      options: async () => ({ method: 'POST', path: '/token', headers: form, body: 'grant_type=client_credentials&scope=api' }),
    },
    {
      name: 'oauth refresh_token', target: 'oidc-provider', server,
      options: async () => {
        const pool = await redeemForRefreshTokens(`${server.url}/token`, PEER_BASIC, await mintPeerCodes(server.url, connections));
        return { requests: chained('/token', (t) => `grant_type=refresh_token&refresh_token=${t}`, 'application/x-www-form-urlencoded', { authorization: PEER_BASIC }, (r) => r.refresh_token, pool) };
      },
    },
    {
      name: 'oauth authorization_code', target: 'oidc-provider', server,
      options: async () => redeemEachOnce('/token', PEER_BASIC, await mintPeerCodes(server.url, 3000)),
    },
  ];
}

/**
 * Codes from oidc-provider's real authorization endpoint, driven over HTTP like a browser would:
 * GET /auth, then follow the redirects through the peer's auto-approving interaction route
 * (bench/servers/oidc-provider-peer.ts) until the redirect URI carries the code. A few flows run
 * side by side, each with its own cookie jar; a flow's first round signs in, later rounds reuse its
 * `_session` cookie and only consent again.
 */
async function mintPeerCodes(baseUrl: string, count: number): Promise<Code[]> {
  const codes: Code[] = [];
  let inFlight = 0;
  const flow = async (jar: CookieJar) => {
    while (codes.length + inFlight < count) {
      inFlight++;
      try {
        codes.push(await authorizePeer(baseUrl, jar));
      } finally {
        inFlight--;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(50, count) }, () => flow(new Map())));
  return codes;
}

/** One authorization request through to its code. `offline_access` (with prompt=consent, as oidc-provider requires) gets a refresh token issued. */
async function authorizePeer(baseUrl: string, jar: CookieJar): Promise<Code> {
  const { verifier, challenge } = pkce();
  const query = new URLSearchParams({
    response_type: 'code', client_id: 'bench', redirect_uri: REDIRECT_URI, state: 'bench-state-1',
    code_challenge: challenge, code_challenge_method: 'S256', scope: 'offline_access api', prompt: 'consent',
  });
  let location = `${baseUrl}/auth?${query}`;
  for (let hop = 0; hop < 10; hop++) {
    const response = await fetch(location, { redirect: 'manual', headers: { cookie: cookieHeader(jar, location) } });
    keepCookies(jar, response.headers.getSetCookie());
    const next = response.headers.get('location');
    const body = await response.text();
    if (!next) throw new Error(`${location}: ${response.status} ${body}`);
    location = new URL(next, baseUrl).href;
    if (location.startsWith(REDIRECT_URI)) {
      const code = new URL(location).searchParams.get('code');
      if (!code) throw new Error(`authorization failed: ${location}`);
      return { code, verifier };
    }
  }
  throw new Error(`too many redirects, last ${location}`);
}

/** A minimal cookie jar for one sequential flow: cookies by path and name; an empty value deletes one. */
type CookieJar = Map<string, { path: string; pair: string }>;

function keepCookies(jar: CookieJar, setCookies: string[]): void {
  for (const header of setCookies) {
    const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
    const name = pair.slice(0, pair.indexOf('='));
    const path = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
    if (pair.endsWith('=')) jar.delete(`${path} ${name}`);
    else jar.set(`${path} ${name}`, { path, pair });
  }
}

function cookieHeader(jar: CookieJar, url: string): string {
  const { pathname } = new URL(url);
  return [...jar.values()].filter(({ path }) => pathname.startsWith(path)).map(({ pair }) => pair).join('; ');
}

/**
 * A new, empty schema in the given PostgreSQL database, so every run starts from a first start (demo
 * keys printed, empty tables) whatever an earlier run left; dropped at the end.
 */
async function freshPostgresSchema(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `latchkey_bench_${randomBytes(6).toString('hex')}`;
  const run = async (statement: string) => {
    const client = new pg.Client({ connectionString: baseUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await run(`create schema ${schema}`);
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), drop: () => run(`drop schema ${schema} cascade`) };
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
      const extra = await scenario.options();
      if (!extra.amount && options.warmupSeconds > 0) await measure(scenario, options, extra, true);
      const fresh = extra.amount ? extra : await scenario.options(); // chained scenarios need fresh tokens after the warm-up
      results.push(await measure(scenario, options, fresh, false));
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    for (const cleanup of cleanups) await cleanup();
  }
  return results;
}

async function startLatchkeyWith(databaseUrl: string, label: string, secret: string, cpuProfileDir?: string) {
  const profile = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(cpuProfileDir, label)}`] : [];
  const server = await startProcess(process.execPath, [...profile, 'bin/latchkey.js', 'serve'], {
    LATCHKEY_DATABASE_URL: databaseUrl,
    LATCHKEY_SECRET: secret,
    LATCHKEY_LOG_LEVEL: 'warn',
    LATCHKEY_HOUSEKEEPING_INTERVAL_SECONDS: '0',
    LATCHKEY_RATE_LIMIT_EXTERNAL_AUTHORIZE_PER_APPLICATION: '100000000/60',
    LATCHKEY_RATE_LIMIT_LOGIN_PER_IP: '100000000/60',
    LATCHKEY_RATE_LIMIT_GUEST_PER_IP: '100000000/60',
  }, '/healthz');
  const out = server.stdout();
  const publishableKey = /publishable key\s+(pk_test_\S+)/.exec(out)?.[1];
  const secretKey = /secret key\s+(sk_test_\S+)/.exec(out)?.[1];
  if (!publishableKey || !secretKey) throw new Error(`no demo keys in the ${label} output: ${out}`);
  return { server, publishableKey, secretKey, label };
}

