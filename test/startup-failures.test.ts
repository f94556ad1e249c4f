import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_LINE, runBin, type BinResult } from './helpers/bin.js';
import { engines } from './helpers/engines.js';
import { freePort } from './helpers/ports.js';
import { inject } from 'vitest';

const SECRET = 'test-secret-test-secret-test-secret-0123';

/** Issue 11.12: one line on stderr, naming the setting; a non-zero exit; no stack trace; no hang. */
function expectOneLine(result: BinResult, line: RegExp, code = 1): void {
  expect(result.hung, 'it ended by itself').toBe(false);
  expect(result.stderr.trimEnd().split('\n'), result.stderr).toHaveLength(1);
  expect(result.stderr).toMatch(line);
  expect(result.stderr).not.toMatch(STACK_LINE);
  expect(result.code).toBe(code);
}

describe('issue 11.12: start-up failures are one clear line each', () => {
  let dir: string;
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-startup-'));
    chmodSync(dir, 0o755);
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  const sqliteEnv = (name: string) => ({ LATCHKEY_DATABASE_URL: `sqlite:${join(dir, name, 'db.sqlite')}`, LATCHKEY_ADMIN_LISTEN: '127.0.0.1:0' });

  it('issue 11.12: the port in use (EADDRINUSE) names LATCHKEY_PORT', async () => {
    const result = await runBin(['serve'], { ...sqliteEnv('port'), LATCHKEY_PORT: String(busyPort) });
    expectOneLine(result, new RegExp(`^latchkey: LATCHKEY_PORT: 127\\.0\\.0\\.1:${busyPort} is already in use; .*set LATCHKEY_PORT to a free port\\n$`));
    // Nothing was created for a start that failed: the demo keys are still to be shown by the first start that works.
    const next = await runBin(['apps', 'list', '--json'], sqliteEnv('port'));
    expect(JSON.parse(next.stdout)).toEqual([]);
  });

  it("issue 11.12: the admin listener's port in use names LATCHKEY_ADMIN_LISTEN", async () => {
    const result = await runBin(['serve'], { ...sqliteEnv('admin'), LATCHKEY_PORT: '0', LATCHKEY_ADMIN_LISTEN: `127.0.0.1:${busyPort}` });
    expectOneLine(result, new RegExp(`^latchkey: LATCHKEY_ADMIN_LISTEN: 127\\.0\\.0\\.1:${busyPort} is already in use; .*or off\\n$`));
  });

  it('issue 11.12: a SQLite path under a file names LATCHKEY_DATABASE_URL', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    for (const command of [['serve'], ['migrate']]) {
      const result = await runBin(command, { LATCHKEY_DATABASE_URL: `sqlite:${join(file, 'db.sqlite')}`, LATCHKEY_PORT: '0', LATCHKEY_ADMIN_LISTEN: 'off' });
      expectOneLine(result, new RegExp(`^latchkey: LATCHKEY_DATABASE_URL: ${file} is a file, so the SQLite database .* cannot be created under it; choose a path in a directory`));
    }
  });

  it.skipIf(process.platform !== 'linux')('issue 11.12: a directory that cannot be created (sqlite:/proc/nope/x.db hung) names LATCHKEY_DATABASE_URL', async () => {
    for (const command of [['serve'], ['migrate'], ['apps', 'list']]) {
      const result = await runBin(command, { LATCHKEY_DATABASE_URL: 'sqlite:/proc/nope/x.db', LATCHKEY_PORT: '0', LATCHKEY_ADMIN_LISTEN: 'off', LATCHKEY_SECRET: SECRET });
      expectOneLine(result, /^latchkey: LATCHKEY_DATABASE_URL: cannot create the directory \/proc\/nope for the SQLite database \(ENOENT: [^)]*\); choose a path in a writable directory\n$/);
    }
    // Without LATCHKEY_SECRET the secret file is tried first: the same line.
    const result = await runBin(['serve'], { LATCHKEY_DATABASE_URL: 'sqlite:/proc/nope/x.db', LATCHKEY_PORT: '0', LATCHKEY_ADMIN_LISTEN: 'off' });
    expectOneLine(result, /^latchkey: LATCHKEY_DATABASE_URL: cannot create the directory \/proc\/nope/);
  });

  it('issue 11.12: a directory that cannot be written names LATCHKEY_DATABASE_URL', async () => {
    const readOnly = join(dir, 'read-only');
    mkdirSync(readOnly, { mode: 0o555 });
    chmodSync(readOnly, 0o555);
    // root writes anywhere: run as nobody then.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const result = await runBin(['migrate'], { LATCHKEY_DATABASE_URL: `sqlite:${join(readOnly, 'db.sqlite')}` }, asUser);
    expectOneLine(result, new RegExp(`^latchkey: LATCHKEY_DATABASE_URL: the directory ${readOnly} is not writable \\(EACCES: [^)]*\\); choose a writable directory`));
  });

  it('issue 11.12: PostgreSQL unreachable names LATCHKEY_DATABASE_URL, never its password', async () => {
    const closed = await freePort();
    for (const command of [['serve'], ['migrate']]) {
      const result = await runBin(command, { LATCHKEY_DATABASE_URL: `postgres://postgres:hunter2-secret@127.0.0.1:${closed}/test`, LATCHKEY_SECRET: SECRET, LATCHKEY_PORT: '0', LATCHKEY_ADMIN_LISTEN: 'off' });
      expectOneLine(result, new RegExp(`^latchkey: LATCHKEY_DATABASE_URL: PostgreSQL at 127\\.0\\.0\\.1:${closed} refuses connections \\(ECONNREFUSED\\); start it, or correct the host and port in the URL\\n$`));
      expect(result.stderr + result.stdout).not.toContain('hunter2');
    }
  });

  it('issue 11.12: a PostgreSQL address that never answers fails the start (bounded by the 10-second probe) instead of hanging', async () => {
    const silent = createServer(() => undefined); // accepts, then says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const result = await runBin(['migrate'], { LATCHKEY_DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/test` }, { guardMs: 90_000 });
      expectOneLine(result, new RegExp(`^latchkey: LATCHKEY_DATABASE_URL: PostgreSQL at 127\\.0\\.0\\.1:${port} does not answer \\(ETIMEDOUT\\); check the host, port and network in the URL\\n$`));
    } finally {
      silent.close();
    }
  }, 120_000);

  it.skipIf(!engines.includes('postgres'))('issue 11.12: a PostgreSQL database that does not exist names LATCHKEY_DATABASE_URL and the fix', async () => {
    const url = new URL(inject('postgresUrl')!);
    url.pathname = '/latchkey_no_such_database';
    const result = await runBin(['serve'], { LATCHKEY_DATABASE_URL: url.toString(), LATCHKEY_SECRET: SECRET, LATCHKEY_PORT: '0', LATCHKEY_ADMIN_LISTEN: 'off' });
    expectOneLine(result, /^latchkey: LATCHKEY_DATABASE_URL: the database "latchkey_no_such_database" does not exist on [^;]+; create it \(createdb latchkey_no_such_database\) or correct the URL\n$/);
  });

  it('issue 11.12: a bad setting is one line per variable, exit 2', async () => {
    const result = await runBin(['serve'], { ...sqliteEnv('bad'), LATCHKEY_PORT: 'eighty' });
    expectOneLine(result, /^latchkey: LATCHKEY_PORT: must be a whole number \(got "eighty"\)\n$/, 2);
  });

  it('issue 11.12: an unknown LATCHKEY_* variable is warned about at start, naming the closest setting', async () => {
    const result = await runBin(['migrate'], { ...sqliteEnv('typo'), LATCHKEY_PROT: '4802' });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('latchkey: warning: LATCHKEY_PROT is not a Latchkey setting and is ignored; did you mean LATCHKEY_PORT? (docs/configuration.md lists them)\n');
  });
});
