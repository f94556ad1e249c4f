import type { Handler, MiddlewareHandler } from 'hono';
import type { GenericSchema } from 'valibot';
import type { AppEnv } from './env.js';

// The shape of a row of the route table (routes.ts), apart from the table itself so that what
// reads the table (the OpenAPI document) need not import it back.

export type Credential = 'secretKey' | 'publishableKey' | 'consumerToken' | 'clientKey' | 'loginToken' | 'oauthToken' | 'clientAuth' | 'adminToken';

export interface RouteDoc {
  operationId: string;
  summary: string;
  tag: string;
  credential?: Credential;
  /** Query parameters, as an object schema. */
  query?: GenericSchema;
  requestBody?: GenericSchema;
  /** Media types of the body (default JSON only). */
  requestTypes?: string[];
  /** `html`: the answer is an HTML page (text/html), not JSON. */
  responses: Record<number, { description: string; schema?: GenericSchema; html?: true }>;
}

/** One row of the route table: what runs, in order, for a method and path. */
export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  /** Browser-facing: answers CORS for the application's allowed origins (SPEC §2). */
  isBrowserFacing: boolean;
  middleware: MiddlewareHandler<AppEnv>[];
  handler: Handler<AppEnv>;
  doc: RouteDoc;
}
