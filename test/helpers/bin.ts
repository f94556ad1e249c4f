import { spawn, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The installed command (compiled by `npm run build`, which `npm ci` and `npm test` run first). */
export const BIN = fileURLToPath(new URL('../../bin/latchkey.js', import.meta.url));

export interface BinResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when the guard had to kill it: a command that should have ended did not. */
  hung: boolean;
}

/**
 * Runs `latchkey <args>` with exactly `env` (plus PATH). A guard kills it if it has not exited after
 * `guardMs` and reports `hung`: the assertion is "it ended by itself", not how fast.
 */
export function runBin(args: string[], env: Record<string, string | undefined>, options: { guardMs?: number; uid?: number; gid?: number } = {}): Promise<BinResult> {
  const spawnOptions: SpawnOptions = { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] };
  if (options.uid !== undefined) Object.assign(spawnOptions, { uid: options.uid, gid: options.gid });
  const child = spawn(process.execPath, [BIN, ...args], spawnOptions);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, options.guardMs ?? 25_000);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr, hung });
    });
  });
}

/** Runs `jobs` with at most `limit` at a time (each spawns a process; the machine is shared). */
export async function inBatches<T, R>(items: readonly T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await job(items[index]!);
      }
    }),
  );
  return results;
}

/** Stack-trace lines (`    at …`), which the CLI never prints. */
export const STACK_LINE = /^\s+at /m;
