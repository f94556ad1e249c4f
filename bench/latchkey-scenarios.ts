// Latchkey's scenarios: the server from the built bin/latchkey.js, its demo keys, and the tokens and
// codes minted through its own API before a measured run.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startProcess } from './processes.js';
import { basicAuth, chained, json, pkce, redeemEachOnce, redeemForRefreshTokens, REDIRECT_URI, type Code, type Scenario } from './scenario.js';

export type Latchkey = Awaited<ReturnType<typeof startLatchkeyWith>> & { databaseUrl: string; secret: string };

/** The scenarios on one Latchkey (SQLite or PostgreSQL). */
export function latchkeyScenarios(lk: Latchkey, connections: number): Scenario[] {
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

/** The Node options `npm start` runs the server with (package.json), so the bench measures the same. */
function startScriptNodeOptions(): string[] {
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
