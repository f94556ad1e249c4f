import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/commands.js';
import { STACK_LINE, inBatches, runBin } from './helpers/bin.js';
import { createTestDatabase, describeEachEngine } from './helpers/engines.js';
import { hasRedisServer, startPrivateRedis } from './helpers/redis.js';
import { IDENTITY, authorize } from './helpers/flows.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/latchkey.js', import.meta.url));

describeEachEngine('latchkey CLI (SPEC §8)', (engine) => {
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

  it('SPEC §10: apps disable refuses the secret key over HTTP at once; apps enable undoes it; apps list shows disabledAt', async () => {
    const created = await latchkey('apps', 'create', '--name', 'Switched', '--json');
    const disabled = await latchkey('apps', 'disable', '--id', created.id, '--json');
    expect(disabled).toMatchObject({ id: created.id, disabledAt: expect.any(String) });
    expect((await latchkey('apps', 'list', '--json')).find((a: { id: string }) => a.id === created.id).disabledAt).toBe(disabled.disabledAt);
    expect((await authorize(server, created, IDENTITY)).status).toBe(401);
    expect(await latchkey('apps', 'enable', '--id', created.id, '--json')).toMatchObject({ id: created.id, disabledAt: null });
    expect((await authorize(server, created, IDENTITY)).status).toBe(200);
    await expect(run(process.execPath, [BIN, 'apps', 'disable', '--id', 'app_01HZZZZZZZZZZZZZZZZZZZZZZZ'], { env })).rejects.toThrow(/no application app_01HZZZZZZZZZZZZZZZZZZZZZZZ/);
  });

  it('apps add-redirect-uri refuses http for non-loopback hosts of live applications', async () => {
    const created = await latchkey('apps', 'create', '--name', 'Live', '--environment', 'live', '--json');
    await expect(run(process.execPath, [BIN, 'apps', 'add-redirect-uri', '--id', created.id, '--redirect-uri', 'http://evil.example/cb'], { env }))
      .rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('may use http only for loopback hosts') });
    const updated = await latchkey('apps', 'add-redirect-uri', '--id', created.id, '--redirect-uri', 'https://live.example/cb', '--json');
    expect(updated.redirectUris).toEqual(['https://live.example/cb']);
  });

  it('RP-Initiated Logout 1.0 §3: apps add-post-logout-redirect-uri registers a URI, checked like a redirect URI, once', async () => {
    const created = await latchkey('apps', 'create', '--name', 'Logout', '--environment', 'live', '--json');
    await expect(run(process.execPath, [BIN, 'apps', 'add-post-logout-redirect-uri', '--id', created.id, '--post-logout-redirect-uri', 'http://evil.example/bye'], { env }))
      .rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('may use http only for loopback hosts') });
    await latchkey('apps', 'add-post-logout-redirect-uri', '--id', created.id, '--post-logout-redirect-uri', 'https://live.example/bye', '--json');
    const updated = await latchkey('apps', 'add-post-logout-redirect-uri', '--id', created.id, '--post-logout-redirect-uri', 'https://live.example/bye', '--json');
    expect(updated).toMatchObject({ postLogoutRedirectUris: ['https://live.example/bye'], redirectUris: [] });
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
    // Waits on the change itself, not on a deadline of its own: the test's timeout bounds the wait.
    let theme = await (await server.request(`/assets/theme/${created.id}.css`)).text();
    while (!theme.includes('#113355')) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      theme = await (await server.request(`/assets/theme/${created.id}.css`)).text();
    }
    expect(theme).toContain('--accent: #113355');
  });

  it('SPEC §13: orgs set-client-registration switches metadata documents and registration; a generated initial access token is printed once', async () => {
    expect(await latchkey('orgs', 'set-client-registration', '--metadata-documents', 'live', '--dynamic-registration', 'test', '--initial-access-token', 'generate', '--json')).toEqual({
      organization: 'default', clientIdMetadataDocuments: 'live', dynamicClientRegistration: 'test', requiresInitialAccessToken: true,
      initialAccessToken: expect.stringMatching(/^lkr_[A-Za-z0-9_-]{43}$/),
    });
    expect(await latchkey('orgs', 'set-client-registration', '--metadata-documents', 'off', '--dynamic-registration', 'off', '--initial-access-token', 'none', '--json')).toEqual({
      organization: 'default', clientIdMetadataDocuments: 'off', dynamicClientRegistration: 'off', requiresInitialAccessToken: false,
    });
    await expect(run(process.execPath, [BIN, 'orgs', 'set-client-registration', '--metadata-documents', 'on'], { env }))
      .rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--metadata-documents must be off, test or live') });
  });

  it('users create --json prints { id, email }; a malformed email is refused', async () => {
    const user = await latchkey('users', 'create', '--email', 'Grace@Example.com', '--password', 'a long password', '--phone', '+14155550111', '--json');
    expect(user).toMatchObject({ id: expect.stringMatching(/^con_/), email: 'grace@example.com', hasSecondFactor: true });
    await expect(run(process.execPath, [BIN, 'users', 'create', '--email', 'a@b', '--password', 'a long password'], { env }))
      .rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('is not a valid address') });
    expect(await latchkey('users', 'set-password', '--email', 'grace@example.com', '--password', 'another long one', '--json')).toMatchObject({ id: user.id });
  });

  it('SPEC §10: admin-tokens create prints the lka_ secret once, it works on the admin listener; list never shows it; revoke ends it at once', async () => {
    const created = await latchkey('admin-tokens', 'create', '--name', 'ops console', '--all-orgs', '--read-only', '--json');
    expect(created).toMatchObject({ id: expect.stringMatching(/^adm_/), name: 'ops console', organizationId: null, readOnly: true, token: expect.stringMatching(/^lka_[\w-]{43}$/) });
    const scoped = await latchkey('admin-tokens', 'create', '--name', 'support', '--json');
    expect(scoped.organizationId).toMatch(/^org_/);
    const call = () => fetch(`${server.adminUrl}/admin/v1/admin-tokens`, { headers: { authorization: `Bearer ${created.token}` } });
    expect((await call()).status).toBe(200);
    const listed = await latchkey('admin-tokens', 'list', '--json');
    expect(listed.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining([created.id, scoped.id]));
    expect(JSON.stringify(listed)).not.toContain('lka_');
    expect(await latchkey('admin-tokens', 'revoke', '--id', created.id, '--json')).toMatchObject({ id: created.id, revokedAt: expect.any(String) });
    expect((await call()).status).toBe(401);
    await expect(run(process.execPath, [BIN, 'admin-tokens', 'create', '--name', 'x', '--org', 'nope'], { env }))
      .rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('no organization named "nope"') });
    await expect(run(process.execPath, [BIN, 'admin-tokens', 'create', '--name', 'x', '--org', 'default', '--all-orgs'], { env }))
      .rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('not both') });
    await expect(run(process.execPath, [BIN, 'admin-tokens', 'revoke', '--id', 'adm_unknown'], { env }))
      .rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('no admin token adm_unknown') });
  });

  it('a bad configuration value exits 2 with the variable named', async () => {
    await expect(run(process.execPath, [BIN, 'apps', 'list'], { env: { ...env, LATCHKEY_PORT: 'eighty' } }))
      .rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('LATCHKEY_PORT: must be a whole number') });
  });
});

/**
 * Starts `latchkey serve`, waits for its "latchkey listening" line (logged after the first-start
 * banner), runs `whileUp` with its URL and what it printed so far (it may send SIGTERM itself), stops
 * it with SIGTERM; returns what it printed and its exit code.
 */
async function serveOnce(
  env: NodeJS.ProcessEnv,
  whileUp?: (url: string, stdout: string, stop: () => void) => Promise<void>,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
      const line = stdout.split('\n').find((l) => l.includes('latchkey listening'));
      if (line) resolve(JSON.parse(line).url);
    });
    child.once('exit', () => reject(new Error(`serve exited early: ${stdout}${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let signalled = false;
  const stop = () => {
    if (signalled) return;
    signalled = true;
    child.kill('SIGTERM');
  };
  await whileUp?.(url, stdout, stop);
  stop();
  const code = await exited;
  return { stdout, stderr, code };
}

/**
 * Sends `count` writes at once and SIGTERM as soon as the first is answered; resolves with what each
 * got. `afterSignal`: the response was produced while draining (`Connection: close`, src/http/drain.ts).
 */
async function sigtermUnderLoad(url: string, secretKey: string, stop: () => void, count: number) {
  let answered = 0;
  let signalled = false;
  const requests = Array.from({ length: count }, (_, i) =>
    fetch(`${url}/auth/external/authorize`, {
      method: 'POST', headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...IDENTITY, subject: `sigterm-${i}` }),
    }).then(
      (r) => {
        answered++;
        if (!signalled) {
          signalled = true;
          stop();
        }
        return { status: r.status, afterSignal: r.headers.get('connection') === 'close' };
      },
      () => ({ status: 0, afterSignal: true }),
    ),
  );
  const results = await Promise.all(requests);
  return { results, answered };
}

describeEachEngine('latchkey serve (SPEC §8 first start)', (engine) => {
  it('issue 13: prints the demo keys on the first start only; SIGTERM under load answers what is in flight and exits 0', async () => {
    const database = await createTestDatabase(engine);
    try {
      const env = {
        PATH: process.env.PATH, LATCHKEY_DATABASE_URL: database.url, LATCHKEY_SECRET: 'serve-test-secret-serve-test-secret-0123',
        LATCHKEY_PORT: '0', LATCHKEY_ADMIN_LISTEN: '127.0.0.1:0',
      };
      let load: Awaited<ReturnType<typeof sigtermUnderLoad>> | undefined;
      const first = await serveOnce(env, async (url, stdout, stop) => {
        const key = /secret key\s+(sk_test_\S+)/.exec(stdout)?.[1];
        expect(key, 'the banner is printed before the listening line').toBeDefined();
        load = await sigtermUnderLoad(url, key!, stop, 100);
      });
      expect(first.code).toBe(0);
      // LATCHKEY_PORT=0 without LATCHKEY_ISSUER: the default issuer names the port actually bound.
      const listening = JSON.parse(first.stdout.split('\n').find((l) => l.includes('"msg":"latchkey listening"'))!);
      expect(listening.issuer).toBe(`http://localhost:${new URL(listening.url).port}`);
      // The signal landed while most of the load was outstanding, and the server still answered
      // some of it 200 after it had started draining: requests were in flight, not refused.
      expect(load!.results.filter((r) => r.status === 200 && r.afterSignal).length, 'no 200 was answered after SIGTERM').toBeGreaterThan(0);
      expect(load!.results.filter((r) => r.status !== 200 && r.status !== 0), 'only 200 or a refused connection').toEqual([]);
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
    } finally {
      await database.drop();
    }
  });
});

/** Each command and subcommand of the CLI's own table, and each word that has subcommands. */
const LEAVES = COMMANDS.map((spec) => spec.words.join(' '));
const GROUPS = [...new Set(COMMANDS.filter((spec) => spec.words.length > 1).map((spec) => spec.words[0]!))];

describe('issue 11.11: the CLI never shows a stack trace', () => {
  // A database that must not come into being: help and refused arguments touch nothing.
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-help-'));
  const env = { LATCHKEY_DATABASE_URL: `sqlite:${join(dir, 'never', 'db.sqlite')}`, LATCHKEY_PORT: '0', LATCHKEY_ADMIN_LISTEN: '127.0.0.1:0' };

  it('issue 11.11: --help (and -h) on every command and subcommand prints its usage and exits 0', async () => {
    const cases = [...LEAVES.map((words) => [...words.split(' '), '--help']), ...LEAVES.map((words) => [...words.split(' '), '-h']), ...GROUPS.map((group) => [group, '--help']), ['--help'], ['help']];
    const results = await inBatches(cases, 4, (args) => runBin(args, env));
    results.forEach((result, i) => {
      const args = cases[i]!;
      const words = args.filter((arg) => !arg.startsWith('-') && arg !== 'help').join(' ');
      expect({ args, code: result.code, hung: result.hung, stderr: result.stderr }).toEqual({ args, code: 0, hung: false, stderr: '' });
      expect(result.stdout, args.join(' ')).toMatch(new RegExp(`^usage: latchkey ${words}`.replace(/ $/, '')));
    });
    // `serve --help` started no server, and nothing opened the database.
    expect(existsSync(join(dir, 'never'))).toBe(false);
  }, 180_000);

  it('issue 11.11: an unknown option, a misspelt flag or a stray argument: one line naming it, the command\'s help, exit 2', async () => {
    const cases: { args: string[]; line: string }[] = [];
    for (const spec of COMMANDS) {
      const name = `latchkey ${spec.words.join(' ')}`;
      cases.push({ args: [...spec.words, '--no-such-option'], line: `${name}: unknown option --no-such-option` });
      cases.push({ args: [...spec.words, 'stray'], line: `${name}: unexpected argument "stray"` });
      const option = Object.keys(spec.options).find((o) => o.length >= 4);
      if (option) {
        const misspelt = `${option[1]}${option[0]}${option.slice(2)}`;
        cases.push({ args: [...spec.words, `--${misspelt}`], line: `${name}: unknown option --${misspelt} (did you mean --${option}?)` });
      }
    }
    cases.push({ args: ['apps', 'create', '--name'], line: 'latchkey apps create: --name needs a value (NAME)' });
    cases.push({ args: ['apps', 'list', '--name', 'x'], line: 'latchkey apps list: unknown option --name' });
    cases.push({ args: ['keys', 'rotate', '--json=yes'], line: 'latchkey keys rotate: --json takes no value' });
    const results = await inBatches(cases, 4, ({ args }) => runBin(args, env));
    results.forEach((result, i) => {
      const { args, line } = cases[i]!;
      expect({ args, code: result.code, hung: result.hung, first: result.stderr.split('\n')[0] }).toEqual({ args, code: 2, hung: false, first: line });
      expect(result.stderr, args.join(' ')).toContain(`usage: latchkey ${args.slice(0, COMMANDS.find((s) => s.words.every((w, j) => args[j] === w))!.words.length).join(' ')}`);
      expect(result.stderr).not.toMatch(STACK_LINE);
      expect(result.stdout).toBe('');
    });
    expect(existsSync(join(dir, 'never'))).toBe(false);
  }, 180_000);

  it('issue 11.11: an unknown command or subcommand is one line (with the closest one) and the list, exit 2', async () => {
    const [command, sub, none] = await Promise.all([runBin(['aps', 'list'], env), runBin(['apps', 'craete'], env), runBin(['apps'], env)]);
    expect([command.code, command.stderr.split('\n')[0]]).toEqual([2, 'latchkey: unknown command "aps" (did you mean apps?)']);
    expect([sub.code, sub.stderr.split('\n')[0]]).toEqual([2, 'latchkey apps: unknown command "craete" (did you mean create?)']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('usage: latchkey apps <command>');
    for (const result of [command, sub, none]) expect(result.stderr).not.toMatch(STACK_LINE);
  });
});

describeEachEngine('issue 11.10 / SPEC §1: a fresh install has its default organization', (engine) => {
  const secret = 'test-secret-test-secret-test-secret-0123';

  it('issue 11.10: `migrate` then `apps create` on a new database works: `default` is there', async () => {
    const database = await createTestDatabase(engine);
    const env = { LATCHKEY_DATABASE_URL: database.url, LATCHKEY_SECRET: secret };
    try {
      const migrated = await runBin(['migrate', '--json'], env);
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(JSON.parse(migrated.stdout).applied.length).toBeGreaterThan(0);
      const created = await runBin(['apps', 'create', '--name', 'x', '--json'], env);
      expect(created.code, created.stderr).toBe(0);
      const orgs = JSON.parse((await runBin(['orgs', 'list', '--json'], env)).stdout);
      expect(orgs.map((o: { name: string }) => o.name)).toEqual(['default']);
      expect(JSON.parse(created.stdout).organizationId).toBe(orgs[0].id);
    } finally {
      await database.drop();
    }
  }, 120_000);

  it('issue 11.10 / SPEC §8: after `migrate` made `default`, the first `serve` still makes the demo application, once', async () => {
    const database = await createTestDatabase(engine);
    const env = { PATH: process.env.PATH, LATCHKEY_DATABASE_URL: database.url, LATCHKEY_SECRET: secret, LATCHKEY_PORT: '0', LATCHKEY_ADMIN_LISTEN: '127.0.0.1:0' };
    try {
      expect((await runBin(['migrate'], env)).code).toBe(0);
      // The CLI made no demo application.
      expect(JSON.parse((await runBin(['apps', 'list', '--json'], env)).stdout)).toEqual([]);
      const first = await serveOnce(env);
      expect(first.stdout).toMatch(/secret key\s+sk_test_[\w-]{43}/);
      const second = await serveOnce(env);
      expect(second.stdout).not.toContain('sk_test_');
      const apps = JSON.parse((await runBin(['apps', 'list', '--json'], env)).stdout);
      expect(apps.map((a: { name: string }) => a.name)).toEqual(['Demo application']);
    } finally {
      await database.drop();
    }
  }, 120_000);

  it('issue 11.10: any first command leaves the default organization (here `apps list`)', async () => {
    const database = await createTestDatabase(engine);
    const env = { LATCHKEY_DATABASE_URL: database.url, LATCHKEY_SECRET: secret };
    try {
      expect(JSON.parse((await runBin(['apps', 'list', '--json'], env)).stdout)).toEqual([]);
      const orgs = JSON.parse((await runBin(['orgs', 'list', '--json'], env)).stdout);
      expect(orgs.map((o: { name: string }) => o.name)).toEqual(['default']);
    } finally {
      await database.drop();
    }
  }, 60_000);
});

describe.skipIf(!hasRedisServer())('issue 11.14: a normal shutdown is not an outage', () => {
  it('issue 11.14: SIGTERM with Redis configured logs no "redis unreachable" line', async () => {
    const redis = await startPrivateRedis();
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-redis-stop-'));
    const env = {
      PATH: process.env.PATH, LATCHKEY_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, LATCHKEY_PORT: '0', LATCHKEY_ADMIN_LISTEN: 'off', LATCHKEY_REDIS_URL: redis.url,
    };
    try {
      const { stdout, stderr, code } = await serveOnce(env, async (url) => {
        // Connected first: otherwise there is no connection for the shutdown to close.
        for (let state = ''; state !== 'redis'; await new Promise((resolve) => setTimeout(resolve, 50))) {
          state = (await (await fetch(`${url}/readyz`)).json()).checks.rateLimits;
        }
      });
      expect(code).toBe(0);
      expect(stdout).toContain('shutting down');
      expect(`${stdout}${stderr}`).not.toContain('redis unreachable');
    } finally {
      await redis.stop();
    }
  });
});
