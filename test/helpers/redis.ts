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


/** Resolves once `url` answers PING; rejects if the server process exits first. */
async function answered(url: string, child: ChildProcess, log: () => string): Promise<void> {
  let exited = false;
  const onExit = () => (exited = true);
  child.once('exit', onExit);
  try {
    for (;;) {
      if (exited || child.exitCode !== null) throw new Error(`redis-server exited before answering on ${url}: ${log()}`);
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000, commandTimeout: 1000 });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') return;
      } catch {
        // not listening yet
      } finally {
        probe.disconnect();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    child.off('exit', onExit);
  }
}

/**
 * A private Redis on its own port, so a test may stop and restart it without touching the
 * machine's shared Redis or other test files. Throws when it did not start (a test must not go on
 * against no Redis); redis-server cannot report a port it chose itself, so a fresh start retries on
 * another free port when the one picked was taken in between.
 */
export async function startPrivateRedis(port?: number): Promise<{ url: string; port: number; stop(): Promise<void>; pause(): void; resume(): void }> {
  for (let attempt = 1; ; attempt++) {
    const chosen = port ?? (await freePort());
    const child: ChildProcess = spawn('redis-server', ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (chunk) => (log += String(chunk)));
    child.stderr!.on('data', (chunk) => (log += String(chunk)));
    const url = `redis://127.0.0.1:${chosen}`;
    try {
      await answered(url, child, () => log);
    } catch (error) {
      child.kill('SIGKILL');
      if (port === undefined && attempt < 3 && /Address already in use/i.test(log)) continue;
      throw error;
    }
    return {
      url,
      port: chosen,
      // SIGSTOP: the socket stays open but nothing answers — the nastiest way for Redis to fail.
      pause: () => void child.kill('SIGSTOP'),
      resume: () => void child.kill('SIGCONT'),
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    };
  }
}
