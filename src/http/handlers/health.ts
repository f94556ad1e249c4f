import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { ServiceUnavailable } from '../../protocol/errors.js';
import type { AppEnv } from '../env.js';

/** GET /healthz — the process is up and serving. */
export const healthz: Handler<AppEnv> = (c) => c.json({ status: 'ok' });

/** How the rate limits are kept right now, for readiness. */
export interface RateLimitHealth {
  health(): 'memory' | 'ok' | 'unavailable';
  failureMode: 'memory' | 'closed';
}

/**
 * GET /readyz — the store answers, and the state of the rate-limit store: `memory` (no Redis),
 * `redis`, or `redis-unavailable` — still ready when limits fall back to memory, 503 when they fail
 * closed (SPEC §8, LATCHKEY_REDIS_FAILURE_MODE).
 */
export const readyz = (deps: FlowDeps, limits: RateLimitHealth): Handler<AppEnv> => async (c) => {
  try {
    await deps.store.ping();
  } catch (error) {
    throw new ServiceUnavailable('the store is unreachable', { cause: error });
  }
  const health = limits.health();
  const rateLimits = health === 'memory' ? 'memory' : health === 'ok' ? 'redis' : `redis-unavailable (${limits.failureMode === 'memory' ? 'memory fallback' : 'refusing'})`;
  if (health === 'unavailable' && limits.failureMode === 'closed') throw new ServiceUnavailable('redis is unreachable and rate limits fail closed');
  return c.json({ status: 'ready', checks: { store: 'ok', rateLimits } });
};
