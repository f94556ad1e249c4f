import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';

/** True when this machine can start a private redis-server; CI requires it. */
export function hasRedisServer(): boolean {
  if (spawnSync('redis-server', ['--version']).status === 0) return true;
  if (process.env.LATCHKEY_TEST_REQUIRE_SERVICES === '1') throw new Error('redis-server is required for the Redis suites');
  process.stderr.write('\n  NOTICE: no redis-server on PATH — the Redis suites are SKIPPED.\n\n');
  return false;
}


/**
 * A private Redis on its own port, so a test may stop and restart it without touching the
 * machine's shared Redis or other test files.
 */
export async function startPrivateRedis(port?: number): Promise<{ url: string; port: number; stop(): Promise<void>; pause(): void; resume(): void }> {
  const chosen = port ?? (await freePort());
  const child: ChildProcess = spawn('redis-server', ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${chosen}`;
  for (let i = 0; i < 50; i++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      break;
    } catch {
      probe.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    port: chosen,
    // SIGSTOP: the socket stays open but nothing answers — the nastiest way for Redis to fail.
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
