import { writeSync } from 'node:fs';
import type { RedemptionKind } from './store.js';

/**
 * Test only: the store calls this inside a redemption's transaction right after the credential was
 * consumed and before anything it creates is written — the point a crash must not split (issue
 * 12.1). Only `LATCHKEY_TEST_FAULT` (the crash-safety suite) sets one; otherwise it does nothing.
 */
export type AfterConsume = (kind: RedemptionKind) => void;

export const noFault: AfterConsume = () => {};

/**
 * Test only (`LATCHKEY_TEST_FAULT=crash-after-consume:<kind>`): kills this process with SIGKILL —
 * no cleanup, no rollback sent, as `kill -9` would — when a redemption of `kind` reaches the point.
 * Says so through `warn` once, when made (at start).
 */
export function crashAfterConsume(kind: RedemptionKind, warn: (message: string) => void): AfterConsume {
  warn(`TEST ONLY: LATCHKEY_TEST_FAULT is set; this process kills itself after consuming ${kind}`);
  return (reached) => {
    if (reached !== kind) return;
    writeSync(2, `LATCHKEY_TEST_FAULT: killing the process after consuming ${kind}\n`);
    process.kill(process.pid, 'SIGKILL');
  };
}
