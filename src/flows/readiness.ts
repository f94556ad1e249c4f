import type { FlowDeps } from './deps.js';

/** Resolves when the store answers a trivial query; rejects with the driver's error otherwise (`/readyz`). */
export function checkStoreReachable(deps: FlowDeps): Promise<void> {
  return deps.store.ping();
}
