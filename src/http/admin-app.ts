import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import type { FlowDeps } from '../flows/deps.js';
import { MethodNotAllowed, NotFound, PayloadTooLarge } from '../protocol/errors.js';
import { buildAdminRoutes } from './admin/routes.js';
import type { AppEnv } from './env.js';
import { errorResponse } from './error-response.js';
import { healthz, readyz, type RateLimitHealth } from './handlers/health.js';
import { metricsEndpoint } from './handlers/metrics.js';
import { securityHeaders } from './middleware/security-headers.js';
import type { Route } from './route.js';

/**
 * The admin listener's application (SPEC §10, LATCHKEY_ADMIN_LISTEN): what an operator's network
 * reaches and the public one must not — the admin API `/admin/v1/…` (admin/routes.ts, every route
 * behind an admin token), and `/metrics`, which describes traffic, routes and error rates and is not
 * authenticated. Health answers here too, for probes that only see the internal network. Its
 * requests are not counted in the request metrics: a scrape every few seconds would drown them.
 */
export function createAdminApp(deps: FlowDeps, options: { rateLimitHealth: RateLimitHealth; bodyLimitBytes: number }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const routes: Pick<Route, 'method' | 'path' | 'middleware' | 'handler'>[] = [
    { method: 'GET', path: '/healthz', middleware: [], handler: healthz },
    { method: 'GET', path: '/readyz', middleware: [], handler: readyz(deps, options.rateLimitHealth) },
    { method: 'GET', path: '/metrics', middleware: [], handler: metricsEndpoint(deps.metrics) },
    ...buildAdminRoutes(deps),
  ];
  app.use('*', requestId({ headerName: 'X-Request-Id' }));
  app.use('*', securityHeaders);
  app.use('*', bodyLimit({
    maxSize: options.bodyLimitBytes,
    onError: () => {
      throw new PayloadTooLarge(`the request body is larger than ${options.bodyLimitBytes} bytes`);
    },
  }));
  for (const route of routes) app.on([route.method], [route.path], ...route.middleware, route.handler);
  const methodsByPath = new Map<string, string[]>();
  for (const route of routes) methodsByPath.set(route.path, [...(methodsByPath.get(route.path) ?? []), route.method]);
  app.notFound((c) => {
    // The concrete path of a parameterised route (`/admin/v1/admin-tokens/adm_1`) is matched by pattern.
    const methods = [...methodsByPath].find(([path]) => patternOf(path).test(c.req.path))?.[1];
    if (methods) {
      const error = new MethodNotAllowed(`${c.req.method} is not supported here; use ${methods.join(' or ')}`);
      error.headers.Allow = methods.join(', ');
      return errorResponse(error, c, deps.logger);
    }
    return errorResponse(new NotFound(`no route for ${c.req.method} ${c.req.path}`), c, deps.logger);
  });
  app.onError((error, c) => errorResponse(error, c, deps.logger));
  return app;
}

function patternOf(path: string): RegExp {
  return new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+')}$`);
}
