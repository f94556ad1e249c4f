import type { Handler } from 'hono';
import type { Metrics } from '../../observability/metrics.js';
import type { AppEnv } from '../env.js';

/** GET /metrics — Prometheus text format, on the admin listener only (SPEC §10; src/http/admin-app.ts). */
export const metricsEndpoint = (metrics: Metrics): Handler<AppEnv> => async (c) => {
  c.header('Content-Type', metrics.registry.contentType);
  return c.body(await metrics.registry.metrics());
};
