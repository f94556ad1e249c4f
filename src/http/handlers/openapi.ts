import type { Handler } from 'hono';
import type { AppEnv } from '../env.js';

/** GET /openapi.json — the document routes.ts builds once, on first request, from the route table. */
export const openApiDocument = (document: () => Record<string, unknown>): Handler<AppEnv> => (c) => c.json(document());
