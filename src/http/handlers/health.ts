import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { checkStoreReachable } from '../../flows/readiness.js';
import { ServiceUnavailable } from '../../protocol/errors.js';
import type { AppEnv } from '../env.js';

/** GET /healthz — the process is up and serving. */
export const healthz: Handler<AppEnv> = (c) => c.json({ status: 'ok' });

/** How the rate limits are kept right now, for readiness. */
export interface RateLimitHealth {
  health(): Promise<'memory' | 'ok' | 'unavailable'>;
  failureMode: 'memory' | 'closed';
  /** True once a graceful shutdown started. */
  isDraining(): boolean;
}

/**
 * GET /readyz — the store answers (else 503), and the state of the rate-limit store: `memory` (no
 * Redis), `redis`, or `redis-unavailable (…)`. A Redis outage is reported but keeps the instance
 * ready even when limits fail closed: every instance shares that Redis, so a 503 would take the whole
 * fleet — and its unlimited endpoints — out of the load balancer at once (SPEC §8). A draining
 * instance (shutting down) is not ready.
 */
export const readyz = (deps: FlowDeps, limits: RateLimitHealth): Handler<AppEnv> => async (c) => {
  try {
    await checkStoreReachable(deps);
  } catch (error) {
    throw new ServiceUnavailable('the store is unreachable', { cause: error });
  }
  if (limits.isDraining()) throw new ServiceUnavailable('this instance is shutting down');
  const health = await limits.health();
  const rateLimits = health === 'memory' ? 'memory' : health === 'ok' ? 'redis' : `redis-unavailable (${limits.failureMode === 'memory' ? 'memory fallback' : 'refusing'})`;
  return c.json({ status: 'ready', checks: { store: 'ok', rateLimits } });
};
