import type { Handler } from 'hono';
import type { AppEnv } from '../env.js';
import { buildOpenApi } from '../openapi.js';
import type { Route } from '../route.js';

/** GET /openapi.json — built once, on first request, from the route table. */
export const openApiDocument = (routes: readonly Route[], serverUrl: string): Handler<AppEnv> => {
  let document: Record<string, unknown> | undefined;
  return (c) => c.json((document ??= buildOpenApi(routes, serverUrl)));
};
