import type { FlowDeps } from '../../flows/deps.js';
import { LATCHKEY_VERSION } from '../../config/version.js';
import { buildOpenApi } from '../openapi.js';
import { pathParamChecks } from '../middleware/path-params.js';
import type { Route } from '../route.js';
import { adminTokenRoutes } from './admin-tokens.js';
import { auditEventRoutes } from './audit-events.js';
import { applicationRoutes } from './applications.js';
import { consumerRoutes } from './consumers.js';
import { requireAdminToken } from './middleware.js';
import { organizationRoutes } from './organizations.js';
import { clientRegistrationRoutes } from './client-registration.js';
import { signingKeyRoutes } from './signing-keys.js';

/** Where the admin API lives on the admin listener (SPEC §10). */
export const ADMIN_PREFIX = '/admin/v1';

/**
 * THE ADMIN ROUTE TABLE (SPEC §10), served on the admin listener only. Each resource's file returns
 * its rows (the Route shape of routes.ts, so the OpenAPI document comes from the same Valibot
 * schemas); this table adds, in front of every row, the path-parameter checks and the admin-token
 * middleware — no row can forget either. Every row is under /admin/v1 and declares the `adminToken`
 * credential, or the server refuses to start.
 */
export function buildAdminRoutes(deps: FlowDeps): Route[] {
  const authenticate = requireAdminToken(deps);
  const routes: Route[] = [
    ...organizationRoutes(deps),
    ...clientRegistrationRoutes(deps),
    ...signingKeyRoutes(deps),
    ...auditEventRoutes(deps),
    ...adminTokenRoutes(deps),
    ...applicationRoutes(deps),
    ...consumerRoutes(deps),
  ];
  for (const route of routes) {
    if (!route.path.startsWith(`${ADMIN_PREFIX}/`) || route.doc.credential !== 'adminToken') {
      throw new Error(`admin route ${route.method} ${route.path} must be under ${ADMIN_PREFIX}/ and declare the adminToken credential`);
    }
    route.middleware.unshift(...pathParamChecks(route.path), authenticate);
  }
  // The document describes no secret and is what tools read first: it needs no token (like /metrics,
  // it is only reachable on the admin listener).
  routes.push({
    method: 'GET', path: `${ADMIN_PREFIX}/openapi.json`, isBrowserFacing: false, middleware: [],
    handler: (c) => c.json(buildOpenApi(routes, new URL(c.req.url).origin, LATCHKEY_VERSION, {
      title: 'Latchkey admin API',
      description: 'Administration of a Latchkey server (SPEC §10), on its admin listener only. Authenticate with an admin token: Authorization: Bearer lka_…',
    })),
    doc: { operationId: 'adminGetOpenApi', tag: 'Admin', summary: 'This OpenAPI 3.1 document of the admin API', responses: { 200: { description: 'OpenAPI document' } } },
  });
  return routes;
}
