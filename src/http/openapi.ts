import { toJsonSchema } from '@valibot/to-json-schema';
import type { GenericSchema } from 'valibot';
import type { Credential, Route } from './route.js';

const SECURITY_SCHEMES = {
  secretKey: { type: 'http', scheme: 'bearer', description: 'Secret key `sk_…` (also accepted as the `x-secret-key` header)' },
  publishableKey: { type: 'apiKey', in: 'header', name: 'X-Publishable-Key', description: 'Publishable key `pk_…` (also accepted as `x-client-key`)' },
  consumerToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Consumer access token' },
  clientKey: { type: 'apiKey', in: 'header', name: 'x-client-key', description: 'The application\'s publishable key (its OAuth client_id)' },
  loginToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'User login token of POST /v1/auth/login (with x-client-key)' },
  oauthToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'OAuth access token (RFC 9068), or a login token where stated' },
  clientAuth: { type: 'http', scheme: 'basic', description: 'Client authentication: HTTP Basic, client_id/client_secret parameters, or x-client-key/x-secret-key headers' },
  adminToken: { type: 'http', scheme: 'bearer', description: 'Admin token `lka_…` (SPEC §10; `latchkey admin-tokens create`), on the admin listener only' },
} satisfies Record<Credential, unknown>;

function jsonSchema(schema: GenericSchema): Record<string, unknown> {
  // Checks without a JSON Schema equivalent (e.g. the claims size limit) are described in prose.
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, { target: 'draft-2020-12', errorMode: 'ignore' }) as Record<string, unknown>;
  return rest;
}

/** OpenAPI 3.1, generated from the route table and the same Valibot schemas that validate requests. */
export function buildOpenApi(
  routes: readonly Route[],
  serverUrl: string,
  version: string,
  info: { title: string; description: string } = { title: 'Latchkey API', description: 'Self-hosted authorization server' },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const { doc } = route;
    const operation: Record<string, unknown> = {
      operationId: doc.operationId,
      summary: doc.summary,
      description: doc.summary,
      tags: [doc.tag],
      security: doc.credential ? [{ [doc.credential]: [] }] : [],
      responses: Object.fromEntries(
        Object.entries(doc.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            ...(response.schema ? { content: { 'application/json': { schema: jsonSchema(response.schema) } } } : {}),
            ...(response.html ? { content: { 'text/html': { schema: { type: 'string' } } } } : {}),
          },
        ]),
      ),
    };
    if (doc.requestBody) {
      const schema = jsonSchema(doc.requestBody);
      operation.requestBody = { required: true, content: Object.fromEntries((doc.requestTypes ?? ['application/json']).map((type) => [type, { schema }])) };
    }
    if (doc.query) {
      const query = jsonSchema(doc.query) as { properties?: Record<string, unknown>; required?: string[] };
      operation.parameters = Object.entries(query.properties ?? {}).map(([name, schema]) => ({
        name, in: 'query', required: (query.required ?? []).includes(name), schema,
      }));
    }
    const pathParameters = [...route.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (pathParameters.length > 0) operation.parameters = [...((operation.parameters as unknown[]) ?? []), ...pathParameters];
    (paths[route.path.replace(/:(\w+)/g, '{$1}')] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { ...info, version },
    servers: [{ url: serverUrl }],
    paths,
    // Only the schemes this document's routes use: the public document names no admin credential.
    components: { securitySchemes: Object.fromEntries(Object.entries(SECURITY_SCHEMES).filter(([name]) => routes.some((route) => route.doc.credential === name))) },
  };
}
