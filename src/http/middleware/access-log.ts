import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { AppEnv } from '../env.js';

/**
 * One line per request: method, path (never the query string, which may carry codes), status,
 * duration and request id. Headers and bodies are never logged (SPEC §3).
 */
export function accessLog(logger: Logger, metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    // The route pattern (`/oauth/authorize/:id`), never the concrete path: bounded label values.
    metrics.observeRequest(c.req.routePath, c.req.method, c.res.status, (performance.now() - started) / 1000);
    logger.info(
      { requestId: c.get('requestId'), method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round((performance.now() - started) * 10) / 10 },
      'request',
    );
  };
}
