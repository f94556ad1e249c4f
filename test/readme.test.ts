import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 11.13: the README's walk-throughs run as written, in order, by copy and paste. The blocks are
// read from README.md itself, so the README cannot drift from what the server does.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/latchkey.js');
const TOOLS = ['bash', 'curl', 'openssl', 'jq'];

/** The ```sh blocks of every `## Walk-through…` section, in README order. */
export function walkThroughBlocks(readme: string): string[] {
  const blocks: string[] = [];
  for (const section of readme.split(/^## /m).slice(1)) {
    if (!section.startsWith('Walk-through')) continue;
    for (const match of section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) blocks.push(match[1]!);
  }
  return blocks;
}

/**
 * Literal `"key":value` pairs the README shows as output (comment lines), without `…` placeholders;
 * and every key it shows with a placeholder value.
 */
function documentedOutput(blocks: string[]): { pairs: string[]; keys: string[] } {
  const comments = blocks.flatMap((b) => b.split('\n')).filter((l) => /^#\s+[{"]/.test(l)).join('\n');
  const pairs = [...comments.matchAll(/"[A-Za-z_]+":(?:"[^"…]*"|-?\d+|true|false|null)(?=[,}\s]|$)/g)].map((m) => m[0]);
  const keys = [...comments.matchAll(/"([A-Za-z_]+)":/g)].map((m) => `"${m[1]}":`);
  return { pairs: [...new Set(pairs)], keys: [...new Set(keys)] };
}

function hasTools(): boolean {
  const missing = TOOLS.filter((tool) => {
    try {
      execFileSync('bash', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return true;
  if (process.env.LATCHKEY_TEST_REQUIRE_SERVICES === '1') throw new Error(`the README suite needs ${missing.join(', ')} (apt-get install -y ${missing.join(' ')})`);
  process.stderr.write(`\n  NOTICE: ${missing.join(', ')} missing — the README walk-through suite is SKIPPED.\n\n`);
  return false;
}

describe.runIf(hasTools())('README walk-throughs (issue 11.13)', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = walkThroughBlocks(readme);
  let dir: string;
  let port: number;
  let server: ChildProcess;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-readme-'));
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LATCHKEY_DATABASE_URL: `sqlite:${join(dir, 'latchkey.db')}`,
      // Port 0: the server binds a free port itself and names it (and its issuer) in its listening line.
      LATCHKEY_PORT: '0',
      LATCHKEY_LOG_LEVEL: 'info',
      // Parallel test files: the admin listener on a free port, never the fixed 4803.
      LATCHKEY_ADMIN_LISTEN: '127.0.0.1:0',
    };
    server = spawn(process.execPath, [BIN, 'serve'], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    // Ready when it logs "latchkey listening" (after the keys are loaded); its exit ends the wait at once.
    let out = '';
    port = await new Promise<number>((resolve, reject) => {
      server.stdout!.on('data', (chunk) => {
        out += String(chunk);
        const line = out.split('\n').find((l) => l.includes('"msg":"latchkey listening"'));
        if (line) resolve(Number(new URL(JSON.parse(line).url).port));
      });
      server.stderr!.on('data', (chunk) => (out += String(chunk)));
      server.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });
  }, 60_000);

  afterAll(() => {
    server?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has the three walk-throughs, none with placeholder or optional-flag syntax', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    const commands = blocks.flatMap((b) => b.split('\n')).filter((l) => !l.startsWith('#')).join('\n');
    expect(commands).not.toMatch(/…/); // a value the reader would have to fill in
    expect(commands).not.toMatch(/\[--/); // `[--a | --b]` cannot be pasted
    expect(readme).not.toMatch(/\bseed 00\d/i); // internal references
  });

  it('every block runs in order against a fresh server, every request succeeds, and the output is the documented one', () => {
    // Only the port differs from what a reader pastes; curl fails the script on any HTTP error.
    const script = ['set -euo pipefail', 'curl() { command curl --fail-with-body "$@"; }', ...blocks]
      .join('\n')
      .replaceAll(':4802', `:${port}`);
    // `tee /dev/stderr` reopens fd 2, which node's socket pair refuses: give the script a pipe there.
    const run = spawnSync('bash', ['-c', `exec 2> >(cat >&2)\n${script}`], { cwd: ROOT, env, encoding: 'utf8', timeout: 240_000 });
    const output = `${run.stdout}\n${run.stderr}`;
    if (run.status !== 0) throw new Error(`the README walk-throughs failed (exit ${run.status}):\n${output}`);
    const documented = documentedOutput(blocks);
    expect(documented.pairs.length).toBeGreaterThan(10);
    for (const pair of documented.pairs) expect(output, `README shows ${pair}`).toContain(pair);
    for (const key of documented.keys) expect(output, `README shows ${key}`).toContain(key);
    expect(output).toMatch(/\b204$/m); // logout
  }, 300_000);
});
