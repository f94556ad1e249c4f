import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from './helpers/engines.js';
import { IDENTITY, authorize } from './helpers/flows.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/latchkey.js', import.meta.url));

describe.each(engines)('latchkey CLI (SPEC §8) [%s]', (engine) => {
  let server: TestServer;
  let env: NodeJS.ProcessEnv;

  /** Runs the installed bin (compiled by `npm run build`, which `npm ci` and `npm test` run first). */
  async function latchkey(...args: string[]): Promise<any> {
    const { stdout } = await run(process.execPath, [BIN, ...args], { env });
    return JSON.parse(stdout);
  }

  beforeAll(async () => {
    server = await startTestServer(engine);
    env = {
      PATH: process.env.PATH,
      LATCHKEY_DATABASE_URL: server.server.runtime.config.databaseUrl,
      LATCHKEY_SECRET: server.server.runtime.config.secret,
    };
  });
  afterAll(() => server?.close());

  it('apps create --json prints id, organizationId, keys, type, environment, redirectUris', async () => {
    const created = await latchkey(
      'apps', 'create', '--name', 'Mobile', '--type', 'public', '--environment', 'live',
      '--redirect-uri', 'https://app.example/cb', '--redirect-uri', 'http://127.0.0.1/cb', '--scope', 'profile', '--json',
    );
    expect(created).toMatchObject({
      id: expect.stringMatching(/^app_/),
      organizationId: expect.stringMatching(/^org_/),
      publishableKey: expect.stringMatching(/^pk_live_/),
      secretKey: expect.stringMatching(/^sk_live_[\w-]{43}$/),
      type: 'public',
      environment: 'live',
      redirectUris: ['https://app.example/cb', 'http://127.0.0.1/cb'],
      allowedScopes: ['profile'],
    });
    const listed = await latchkey('apps', 'list', '--json');
    const mine = listed.find((a: { id: string }) => a.id === created.id);
    expect(mine.publishableKey).toBe(created.publishableKey);
    expect(JSON.stringify(listed)).not.toContain(created.secretKey);
  });

  it('the new application\'s secret key works at once over HTTP', async () => {
    const created = await latchkey('apps', 'create', '--name', 'Backend', '--json');
    const response = await authorize(server, { id: created.id, publishableKey: created.publishableKey, secretKey: created.secretKey }, IDENTITY);
    expect(response.status).toBe(200);
  });

  it('apps rotate-secret: the new secret works, the old one stops at once (overlap 0)', async () => {
    const created = await latchkey('apps', 'create', '--name', 'Rotating', '--json');
    const rotated = await latchkey('apps', 'rotate-secret', '--id', created.id, '--json');
    expect(rotated.secretKey).not.toBe(created.secretKey);
    // The CLI ran on the system clock; bring the server's test clock past that instant.
    server.clock.catchUpWithSystemClock();
    const old = await authorize(server, { ...created, secretKey: created.secretKey }, IDENTITY);
    expect(old.status).toBe(401);
    expect((await old.json()).error).toBe('invalid_api_key');
    expect((await authorize(server, { ...created, secretKey: rotated.secretKey }, IDENTITY)).status).toBe(200);
  });

  it('apps add-redirect-uri refuses http for non-loopback hosts of live applications', async () => {
    const created = await latchkey('apps', 'create', '--name', 'Live', '--environment', 'live', '--json');
    await expect(run(process.execPath, [BIN, 'apps', 'add-redirect-uri', '--id', created.id, '--redirect-uri', 'http://evil.example/cb'], { env }))
      .rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('may use http only for loopback hosts') });
    const updated = await latchkey('apps', 'add-redirect-uri', '--id', created.id, '--redirect-uri', 'https://live.example/cb', '--json');
    expect(updated.redirectUris).toEqual(['https://live.example/cb']);
  });

  it('migrate --json reports nothing to apply on an up-to-date schema; orgs list shows default', async () => {
    expect(await latchkey('migrate', '--json')).toEqual({ applied: [] });
    const orgs = await latchkey('orgs', 'list', '--json');
    expect(orgs.map((o: { name: string }) => o.name)).toContain('default');
  });

  it('SPEC §7 branding: apps create/set-branding and orgs set-branding; the theme stylesheet follows', async () => {
    const created = await latchkey('apps', 'create', '--name', 'Branded', '--accent-color', '#aa3377', '--logo-url', 'https://cdn.example/logo.png', '--first-party', '--json');
    expect(created).toMatchObject({ accentColor: '#aa3377', logoUrl: 'https://cdn.example/logo.png', isFirstParty: true });
    expect(await (await server.request(`/assets/theme/${created.id}.css`)).text()).toContain('--accent: #aa3377');
    await expect(run(process.execPath, [BIN, 'apps', 'set-branding', '--id', created.id, '--accent-color', 'red'], { env }))
      .rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('must be #rrggbb') });
    await expect(run(process.execPath, [BIN, 'apps', 'set-branding', '--id', created.id, '--logo-url', 'http://cdn.example/logo.png'], { env }))
      .rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('must be https') });
    expect(await latchkey('apps', 'set-branding', '--id', created.id, '--accent-color', '', '--third-party', '--json')).toMatchObject({ accentColor: null, isFirstParty: false });
    expect(await latchkey('orgs', 'set-branding', '--display-name', 'Shop & Co', '--accent-color', '#113355', '--json')).toMatchObject({ displayName: 'Shop & Co' });
    // Organizations are cached for 5 s per process (docs/architecture.md): the server sees the CLI's change within that.
    const deadline = Date.now() + 7_000;
    let theme = '';
    while (Date.now() < deadline && !theme.includes('#113355')) {
      theme = await (await server.request(`/assets/theme/${created.id}.css`)).text();
      if (!theme.includes('#113355')) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(theme).toContain('--accent: #113355');
  });

  it('users create --json prints { id, email }; a malformed email is refused', async () => {
    const user = await latchkey('users', 'create', '--email', 'Grace@Example.com', '--password', 'a long password', '--phone', '+14155550111', '--json');
    expect(user).toMatchObject({ id: expect.stringMatching(/^con_/), email: 'grace@example.com', hasSecondFactor: true });
    await expect(run(process.execPath, [BIN, 'users', 'create', '--email', 'a@b', '--password', 'a long password'], { env }))
      .rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('is not a valid address') });
    expect(await latchkey('users', 'set-password', '--email', 'grace@example.com', '--password', 'another long one', '--json')).toMatchObject({ id: user.id });
  });

  it('a bad configuration value exits 2 with the variable named', async () => {
    await expect(run(process.execPath, [BIN, 'apps', 'list'], { env: { ...env, LATCHKEY_PORT: 'eighty' } }))
      .rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('LATCHKEY_PORT: must be a whole number') });
  });
});

/** Starts `latchkey serve`, waits for it to listen, stops it with SIGTERM; returns its stdout and exit code. */
async function serveOnce(env: NodeJS.ProcessEnv): Promise<{ stdout: string; code: number | null }> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
      if (stdout.includes('latchkey listening')) resolve();
    });
    child.once('exit', () => reject(new Error(`serve exited early: ${stdout}`)));
  });
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { stdout, code };
}

describe('latchkey serve (SPEC §8 first start)', () => {
  it('prints the demo keys on the first start only, and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-serve-'));
    const env = { PATH: process.env.PATH, LATCHKEY_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, LATCHKEY_PORT: '0', LATCHKEY_ADMIN_LISTEN: '127.0.0.1:0' };
    const first = await serveOnce(env);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('First start: created organization "default" and a demo application.');
    expect(first.stdout).toMatch(/publishable key\s+pk_test_\S+/);
    expect(first.stdout).toMatch(/secret key\s+sk_test_[\w-]{43}/);
    const secretKey = /secret key\s+(sk_test_\S+)/.exec(first.stdout)![1]!;
    // The key is in the banner only, never inside a JSON log line.
    expect(first.stdout.split('\n').filter((line) => line.startsWith('{') && line.includes(secretKey))).toEqual([]);
    const second = await serveOnce(env);
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain('First start');
    expect(second.stdout).not.toContain('sk_test_');
  });
});
