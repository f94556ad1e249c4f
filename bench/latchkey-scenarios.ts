// Latchkey's scenarios: the server from the built bin/latchkey.js, its demo keys, and the tokens and
// codes minted through its own API (and pools cloned from them into its store) before a measured run.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startProcess } from './processes.js';
import { basicAuth, chained, codeBody, json, pkce, poolRequests, redeemForRefreshTokens, REDIRECT_URI, type Code, type Scenario, type StoreState } from './scenario.js';
import { openStoreSeeder, type StoreSeeder } from './store-seeder.js';

export type Latchkey = Awaited<ReturnType<typeof startLatchkeyWith>> & { databaseUrl: string; secret: string };

/**
 * Latchkey's authorization codes live 60 s (src/protocol/lifetimes.ts). Cloned codes get at least
 * that, and enough for their run plus a margin when a run is longer (the peer's codes live 600 s
 * here for the same reason); a lifetime is one comparison at redemption, whatever its length.
 */
const codeLifetimeMs = (seconds: number) => Math.max(60, seconds + 30) * 1000;

/**
 * Credentials for one Latchkey: one of each kind minted through its real HTTP API (the templates),
 * then pools cloned from them straight into its store (store-seeder.ts), in well under a second.
 */
export function latchkeyCredentials(lk: Latchkey) {
  const basic = basicAuth(lk.publishableKey, lk.secretKey);
  const once = <T>(make: () => Promise<T>) => {
    let value: Promise<T> | undefined;
    return () => (value ??= make());
  };
  let opened: Promise<StoreSeeder> | undefined;
  const seeder = () => (opened ??= openStoreSeeder(lk.databaseUrl));
  const login = once(() => loginToken(lk));
  const consumerTemplate = once(async () => (await signIn(lk, 0)).refreshToken as string);
  const oauthRefreshTemplate = once(async () => (await redeemForRefreshTokens(`${lk.server.url}/v1/auth/oauth/token`, basic, await mintAuthorizationCodes(lk, 1, await login())))[0]!);
  const codeTemplate = once(async () => (await mintAuthorizationCodes(lk, 1, await login()))[0]!.code);
  const timed = async <T>(mint: () => Promise<T>) => {
    const started = performance.now();
    const value = await mint();
    return { value, mintMs: Math.round(performance.now() - started) };
  };
  return {
    basic,
    seeder,
    login,
    oauthRefreshTemplate,
    consumerRefreshTokens: async (count: number) => {
      const template = await consumerTemplate();
      return timed(async () => (await seeder()).cloneRefreshFamilies(template, count));
    },
    oauthRefreshTokens: async (count: number) => {
      const template = await oauthRefreshTemplate();
      return timed(async () => (await seeder()).cloneRefreshFamilies(template, count));
    },
    authorizationCodes: async (count: number, seconds: number) => {
      const template = await codeTemplate();
      return timed(async () => (await seeder()).cloneAuthorizationCodes(template, count, codeLifetimeMs(seconds)));
    },
    releaseRefreshTokens: async (unused: string[]) => (await seeder()).deleteRefreshFamilies(unused),
    releaseCodes: async (unused: Code[]) => (await seeder()).deleteAuthorizationCodes(unused.map((c) => c.code)),
    close: async () => {
      if (opened) await (await opened).close();
    },
  };
}

export type LatchkeyCredentials = ReturnType<typeof latchkeyCredentials>;

const identity = (n: number) => ({ provider: 'bench', issuer: 'https://bench.example', subject: `user-${n % 1000}` });

async function signIn(lk: Latchkey, n: number) {
  const { exchangeCode } = await json(`${lk.server.url}/auth/external/authorize`, { json: identity(n), headers: { authorization: `Bearer ${lk.secretKey}` } });
  return json(`${lk.server.url}/auth/external/exchange`, { json: { exchangeCode }, headers: { 'x-publishable-key': lk.publishableKey } });
}

const TOKEN_PATH = '/v1/auth/oauth/token';
const FORM = 'application/x-www-form-urlencoded';

/** The scenarios on one Latchkey (SQLite or PostgreSQL). */
export function latchkeyScenarios(lk: Latchkey, credentials: LatchkeyCredentials, connections: number): Scenario[] {
  const { server, secretKey, publishableKey, label } = lk;
  const { basic } = credentials;
  const target = `latchkey-${label}`;
  return [
    {
      name: 'external authorize', target, server,
      options: async () => ({ method: 'POST', path: '/auth/external/authorize', headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' }, body: JSON.stringify(identity(1)) }),
    },
    {
      name: 'external authorize+exchange (pairs)', target, server,
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
      name: 'consumer refresh (chained)', target, server,
      options: async () => {
        const pool = await Promise.all(Array.from({ length: connections }, async (_, i) => (await signIn(lk, i)).refreshToken as string));
        return { requests: chained('/auth/refresh', (t) => JSON.stringify({ refreshToken: t }), 'application/json', { 'x-publishable-key': publishableKey }, (r) => r.refreshToken, pool) };
      },
    },
    {
      name: 'consumer refresh (pool)', target, server, usesPool: true,
      options: async ({ poolSize }) => {
        const { value: tokens, mintMs } = await credentials.consumerRefreshTokens(poolSize);
        return poolRequests(tokens, mintMs, { method: 'POST', path: '/auth/refresh', headers: { 'x-publishable-key': publishableKey, 'content-type': 'application/json' } }, (t) => JSON.stringify({ refreshToken: t }), credentials.releaseRefreshTokens);
      },
    },
    {
      name: 'oauth client_credentials', target, server,
      options: async () => ({ method: 'POST', path: TOKEN_PATH, headers: { authorization: basic, 'content-type': FORM }, body: 'grant_type=client_credentials&scope=profile' }),
    },
    {
      name: 'oauth refresh_token (chained)', target, server,
      options: async () => {
        const pool = await redeemForRefreshTokens(`${server.url}${TOKEN_PATH}`, basic, await mintAuthorizationCodes(lk, connections, await credentials.login()));
        return { requests: chained(TOKEN_PATH, (t) => `grant_type=refresh_token&refresh_token=${t}`, FORM, { authorization: basic }, (r) => r.refresh_token, pool) };
      },
    },
    {
      name: 'oauth refresh_token (pool)', target, server, usesPool: true,
      options: async ({ poolSize }) => {
        const { value: tokens, mintMs } = await credentials.oauthRefreshTokens(poolSize);
        return poolRequests(tokens, mintMs, { method: 'POST', path: TOKEN_PATH, headers: { authorization: basic, 'content-type': FORM } }, (t) => `grant_type=refresh_token&refresh_token=${t}`, credentials.releaseRefreshTokens);
      },
    },
    {
      name: 'oauth authorization_code (pool)', target, server, usesPool: true,
      options: async ({ poolSize, seconds }) => {
        const { value: codes, mintMs } = await credentials.authorizationCodes(poolSize, seconds);
        return poolRequests(codes, mintMs, { method: 'POST', path: TOKEN_PATH, headers: { authorization: basic, 'content-type': FORM } }, codeBody, credentials.releaseCodes);
      },
    },
    {
      name: 'oidc userinfo', target, server,
      options: async () => {
        const accessToken = await userInfoAccessToken(lk, await credentials.login());
        return { method: 'GET', path: '/v1/auth/oauth/userinfo', headers: { authorization: `Bearer ${accessToken}` } };
      },
    },
    { name: 'jwks', target, server, options: async () => ({ method: 'GET', path: '/.well-known/jwks.json' }) },
  ];
}

/**
 * The store-size scenarios (issue 15): OAuth refresh and code redemption on a store holding `rows`
 * live sessions, each with a live refresh token — grown in the database itself before the first run.
 */
export function storeSizeScenarios(lk: Latchkey, credentials: LatchkeyCredentials, sizes: number[], log: (line: string) => void): Scenario[] {
  const { server, label } = lk;
  const { basic } = credentials;
  const target = `latchkey-${label}`;
  const grown = new Map<number, Promise<number>>();
  /** Grows the background to `rows` families (once), answering the seconds it took. */
  const grow = (rows: number) => {
    if (!grown.has(rows)) {
      grown.set(rows, (async () => {
        const started = performance.now();
        await (await credentials.seeder()).growBackground(await credentials.oauthRefreshTemplate(), rows);
        const seconds = (performance.now() - started) / 1000;
        log(`  ${label}: store grown to ${rows.toLocaleString('en')} background sessions + refresh tokens in ${seconds.toFixed(1)} s`);
        return seconds;
      })());
    }
    return grown.get(rows)!;
  };
  const state = async (rows: number): Promise<StoreState> => {
    const seedSeconds = await grow(rows);
    const live = await (await credentials.seeder()).liveCounts();
    return { backgroundRows: rows, seedSeconds: Math.round(seedSeconds * 10) / 10, liveSessions: live.sessions, liveRefreshTokens: live.refreshTokens };
  };
  return sizes.flatMap((rows): Scenario[] => [
    {
      name: `store ${sizeLabel(rows)}: oauth refresh_token (pool)`, target, server, usesPool: true,
      options: async ({ poolSize }) => {
        const store = await state(rows);
        const { value: tokens, mintMs } = await credentials.oauthRefreshTokens(poolSize);
        return { ...poolRequests(tokens, mintMs, { method: 'POST', path: TOKEN_PATH, headers: { authorization: basic, 'content-type': FORM } }, (t) => `grant_type=refresh_token&refresh_token=${t}`, credentials.releaseRefreshTokens), store };
      },
    },
    {
      name: `store ${sizeLabel(rows)}: oauth authorization_code (pool)`, target, server, usesPool: true,
      options: async ({ poolSize, seconds }) => {
        const store = await state(rows);
        const { value: codes, mintMs } = await credentials.authorizationCodes(poolSize, seconds);
        return { ...poolRequests(codes, mintMs, { method: 'POST', path: TOKEN_PATH, headers: { authorization: basic, 'content-type': FORM } }, codeBody, credentials.releaseCodes), store };
      },
    },
  ]);
}

export const sizeLabel = (rows: number) => (rows >= 1_000_000 ? `${rows / 1_000_000}M` : rows >= 1000 ? `${rows / 1000}k` : String(rows));

/** A user's login token (a user created through the CLI, with a name and an email for UserInfo). */
async function loginToken(lk: Latchkey): Promise<string> {
  const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
  const cli = spawn(process.execPath, ['bin/latchkey.js', 'users', 'create', '--email', email, '--password', 'bench password 123', '--name', 'Bench User'], {
    cwd: ROOT, env: { ...process.env, LATCHKEY_DATABASE_URL: lk.databaseUrl, LATCHKEY_SECRET: lk.secret }, stdio: 'ignore',
  });
  await new Promise((resolve) => cli.once('exit', resolve));
  const login = await json(`${lk.server.url}/v1/auth/login`, { json: { email, password: 'bench password 123' }, headers: { 'x-client-key': lk.publishableKey } });
  return login.accessToken;
}

/** Codes minted through API mode (SPEC §6: initiate, then authorize with the user's login token). */
async function mintAuthorizationCodes(lk: Latchkey, count: number, token: string, scope = 'profile'): Promise<Code[]> {
  const codes: Code[] = [];
  const mintOne = async () => {
    const { verifier, challenge } = pkce();
    const query = new URLSearchParams({
      response_type: 'code', client_id: lk.publishableKey, redirect_uri: REDIRECT_URI, state: 'bench-state-1',
      code_challenge: challenge, code_challenge_method: 'S256', scope, mode: 'api',
    });
    const { token: session } = await json(`${lk.server.url}/v1/auth/oauth/authorize/initiate?${query}`);
    const { code } = await json(`${lk.server.url}/v1/auth/oauth/authorize`, { json: { token: session }, headers: { 'x-client-key': lk.publishableKey, authorization: `Bearer ${token}` } });
    codes.push({ code, verifier });
  };
  for (let i = 0; i < count; i += 50) await Promise.all(Array.from({ length: Math.min(50, count - i) }, mintOne));
  return codes;
}

/** An OAuth access token with `openid profile email`, through the real code flow. */
async function userInfoAccessToken(lk: Latchkey, login: string): Promise<string> {
  const [code] = await mintAuthorizationCodes(lk, 1, login, 'openid profile email');
  const response = await fetch(`${lk.server.url}${TOKEN_PATH}`, { method: 'POST', headers: { authorization: basicAuth(lk.publishableKey, lk.secretKey), 'content-type': FORM }, body: codeBody(code!) });
  const body = await response.json();
  if (!body.access_token) throw new Error(`no access token for UserInfo: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token as string;
}

/** The Node options `npm start` runs the server with (package.json), so the bench measures the same. */
export function startScriptNodeOptions(): string[] {
  const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  return start.split(/\s+/).filter((word) => word.startsWith('--'));
}

export async function startLatchkeyWith(databaseUrl: string, label: string, secret: string, cpuProfileDir?: string) {
  const profile = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(cpuProfileDir, label)}`] : [];
  const server = await startProcess(process.execPath, [...startScriptNodeOptions(), ...profile, 'bin/latchkey.js', 'serve'], {
    LATCHKEY_DATABASE_URL: databaseUrl,
    LATCHKEY_SECRET: secret,
    LATCHKEY_LOG_LEVEL: 'warn',
    LATCHKEY_ADMIN_LISTEN: 'off',
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
