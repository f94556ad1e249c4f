import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import type { FlowDeps } from '../flows/deps.js';
import { MethodNotAllowed, NotFound, PayloadTooLarge } from '../protocol/errors.js';
import { InvalidRequest } from '../protocol/oauth-errors.js';
import type { AppEnv } from './env.js';
import { errorResponse } from './error-response.js';
import { accessLog } from './middleware/access-log.js';
import { corsPreflight } from './middleware/cors.js';
import { securityHeaders } from './middleware/security-headers.js';
import type { RateLimitHealth } from './handlers/health.js';
import { buildRoutes } from './routes.js';

export interface AppOptions {
  bodyLimitBytes: number;
  jwksMaxAgeSeconds: number;
  trustedProxyHops: number;
  rateLimitHealth: RateLimitHealth;
}

/** Builds the HTTP application: global middleware, then the route table of routes.ts. */
export function createApp(deps: FlowDeps, options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const routes = buildRoutes(deps, options);

  // Global pipeline, in order, for every request.
  app.use('*', requestId({ headerName: 'X-Request-Id' }));
  app.use('*', accessLog(deps.logger, deps.metrics));
  app.use('*', securityHeaders);
  const limitBody = bodyLimit({
    maxSize: options.bodyLimitBytes,
    onError: () => {
      throw new PayloadTooLarge(`the request body is larger than ${options.bodyLimitBytes} bytes`);
    },
  });
  // Only requests that may carry a body, and by Content-Length when there is one: looking at the
  // body stream makes the Node adapter build a full web Request, which cost every request a large
  // share of its time (docs/benchmarks.md). Chunked bodies go through hono's streaming limit.
  app.use('*', (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && /^\d+$/.test(length)) {
      if (Number(length) > options.bodyLimitBytes) throw new PayloadTooLarge(`the request body is larger than ${options.bodyLimitBytes} bytes`);
      return next();
    }
    return limitBody(c, next);
  });

  // RFC 6750 §2.3 / RFC 9700 §4.3.2: bearer tokens never travel in URLs; refuse rather than ignore.
  app.use('*', async (c, next) => {
    // hono's query reader, not a second URL parse of every request.
    if (c.req.query('access_token') !== undefined) {
      const error = new InvalidRequest('access tokens are not accepted in the query string; use the Authorization header');
      // RFC 6750 §3.1: a malformed bearer request is invalid_request, with the Bearer challenge.
      error.headers['WWW-Authenticate'] = 'Bearer realm="latchkey", error="invalid_request"';
      throw error;
    }
    await next();
  });

  for (const route of routes) {
    app.on([route.method], [route.path], ...route.middleware, route.handler);
  }
  const methodsByPath = new Map<string, string[]>();
  for (const route of routes) methodsByPath.set(route.path, [...(methodsByPath.get(route.path) ?? []), route.method]);
  for (const route of routes.filter((r) => r.isBrowserFacing)) {
    app.options(route.path, corsPreflight(deps, methodsByPath.get(route.path)!.join(', ')));
  }

  app.notFound((c) => {
    const methods = methodsByPath.get(c.req.path);
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
