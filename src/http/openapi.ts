import { toJsonSchema } from '@valibot/to-json-schema';
import type { GenericSchema } from 'valibot';
import type { Credential, Route } from './routes.js';

const SECURITY_SCHEMES = {
  secretKey: { type: 'http', scheme: 'bearer', description: 'Secret key `sk_…` (also accepted as the `x-secret-key` header)' },
  publishableKey: { type: 'apiKey', in: 'header', name: 'X-Publishable-Key', description: 'Publishable key `pk_…` (also accepted as `x-client-key`)' },
  consumerToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Consumer access token' },
} satisfies Record<Credential, unknown>;

function jsonSchema(schema: GenericSchema): Record<string, unknown> {
  // Checks without a JSON Schema equivalent (e.g. the claims size limit) are described in prose.
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, { target: 'draft-2020-12', errorMode: 'ignore' }) as Record<string, unknown>;
  return rest;
}

/** OpenAPI 3.1, generated from the route table and the same Valibot schemas that validate requests. */
export function buildOpenApi(routes: readonly Route[], serverUrl: string): Record<string, unknown> {
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
          },
        ]),
      ),
    };
    if (doc.requestBody) {
      operation.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(doc.requestBody) } } };
    }
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Latchkey API', version: '0.1.0', description: 'Self-hosted authorization server' },
    servers: [{ url: serverUrl }],
    paths,
    components: { securitySchemes: SECURITY_SCHEMES },
  };
}
