import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import type { FlowDeps } from '../flows/deps.js';
import { MethodNotAllowed, NotFound } from '../protocol/errors.js';
import type { AppEnv } from './env.js';
import { errorResponse } from './error-response.js';
import { healthz, readyz, type RateLimitHealth } from './handlers/health.js';
import { metricsEndpoint } from './handlers/metrics.js';
import { securityHeaders } from './middleware/security-headers.js';

/**
 * The admin listener's application (SPEC §10, LATCHKEY_ADMIN_LISTEN): what an operator's network
 * reaches and the public one must not — `/metrics` describes traffic, routes and error rates, and is
 * not authenticated. Health answers here too, for probes that only see the internal network. Its
 * requests are not counted in the request metrics: a scrape every few seconds would drown them.
 */
export function createAdminApp(deps: FlowDeps, options: { rateLimitHealth: RateLimitHealth }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const routes = [
    { path: '/healthz', handler: healthz },
    { path: '/readyz', handler: readyz(deps, options.rateLimitHealth) },
    { path: '/metrics', handler: metricsEndpoint(deps.metrics) },
  ];
  app.use('*', requestId({ headerName: 'X-Request-Id' }));
  app.use('*', securityHeaders);
  for (const route of routes) app.get(route.path, route.handler);
  app.notFound((c) => {
    if (routes.some((route) => route.path === c.req.path)) {
      const error = new MethodNotAllowed(`${c.req.method} is not supported here; use GET`);
      error.headers.Allow = 'GET';
      return errorResponse(error, c, deps.logger);
    }
    return errorResponse(new NotFound(`no route for ${c.req.method} ${c.req.path}`), c, deps.logger);
  });
  app.onError((error, c) => errorResponse(error, c, deps.logger));
  return app;
}
