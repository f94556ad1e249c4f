import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies the SQLite write-ahead log back into the database file from a worker thread, on its own
 * connection, every `intervalMs`.
 *
 * Left to SQLite, a checkpoint runs inside whichever commit crosses the threshold: that request,
 * and every request queued behind it on the event loop, waits for megabytes of page copies — the
 * long tail of the token endpoints' latency (docs/benchmarks.md). A PASSIVE checkpoint on another
 * connection blocks neither readers nor writers (https://sqlite.org/wal.html#ckpt), so here it
 * costs the server's event loop nothing. The main connection keeps its own automatic checkpoint as
 * a backstop, at a size the worker normally never lets the log reach.
 */
export interface Checkpointer {
  stop(): Promise<void>;
}

// Plain CommonJS run with `eval`, so the same code serves the built program and the TypeScript
// sources under test; the driver's path comes from the main thread's resolution.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
// The same failure every interval is reported once, not four times a second.
let lastReported;
const report = (error) => {
  const message = String((error && error.message) || error);
  if (message !== lastReported) parentPort.postMessage({ error: message });
  lastReported = message;
};
let db;
const checkpoint = () => {
  try {
    db ??= new Database(workerData.path, { fileMustExist: true, timeout: 1000 });
    db.pragma('wal_checkpoint(PASSIVE)');
    lastReported = undefined;
  } catch (error) {
    report(error);
  }
  if (workerData.reportAttempts) parentPort.postMessage({ attempt: true });
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  if (db) {
    checkpoint();
    db.close();
  }
  parentPort.close();
});
`;

/** `onAttempt` (for tests): called after every checkpoint attempt, whatever its outcome. */
export function startCheckpointer(
  path: string,
  options: { intervalMs: number; onError: (message: string) => void; onAttempt?: () => void },
): Checkpointer {
  const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, intervalMs: options.intervalMs, driverPath, reportAttempts: options.onAttempt !== undefined } });
  worker.on('message', (message: { error?: string; attempt?: boolean }) => {
    if (message.error) options.onError(message.error);
    if (message.attempt) options.onAttempt?.();
  });
  worker.on('error', (error) => options.onError(String(error?.message ?? error)));
  // Never keeps the process alive on its own.
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      // Referenced again while it finishes, or the process could run out of work and exit first.
      worker.ref();
      worker.postMessage('stop');
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, 2_000, 'timeout').unref());
      if ((await Promise.race([exited, timeout])) === 'timeout') await worker.terminate();
    },
  };
}
