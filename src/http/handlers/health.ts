import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { ServiceUnavailable } from '../../protocol/errors.js';
import type { AppEnv } from '../env.js';

/** GET /healthz — the process is up and serving. */
export const healthz: Handler<AppEnv> = (c) => c.json({ status: 'ok' });

/** GET /readyz — the store answers; a load balancer should stop routing here otherwise. */
export const readyz = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  try {
    await deps.store.ping();
  } catch (error) {
    throw new ServiceUnavailable('the store is unreachable', { cause: error });
  }
  return c.json({ status: 'ready', checks: { store: 'ok' } });
};
