import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The first defined value of `probe`, polled until `timeoutMs` (generous: the suite runs on a busy
 * 2-core machine) — for work a request starts and does not wait for, such as sending a notice.
 */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await sleep(25);
  }
}
