import * as v from 'valibot';
import { assertVisible, auditActor, organizationScope } from '../../flows/admin-principal.js';
import { describeAdminToken, getAdminToken, listAdminTokens, revokeAdminToken } from '../../flows/admin-tokens.js';
import type { FlowDeps } from '../../flows/deps.js';
import type { Route } from '../route.js';
import { parseQuery } from '../validate.js';
import { ADMIN_RESPONSES, ADMIN_TAG, NullableTime } from './common.js';
import { PAGE_QUERY, pageBody, pageBodySchema, pageRequest } from './paging.js';

export const AdminTokenBody = v.object({
  id: v.string(),
  name: v.string(),
  organizationId: v.nullable(v.string()),
  readOnly: v.boolean(),
  createdAt: v.string(),
  revokedAt: NullableTime,
  lastUsedAt: NullableTime,
});

const ListQuery = v.object({ ...PAGE_QUERY });
const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError } = ADMIN_RESPONSES;

/**
 * Admin tokens over the API (SPEC §10: "listed and revoked by CLI and API"). An all-organizations
 * token sees and revokes every token; an organization's token only that organization's; a read-only
 * token revokes none (the middleware's 403). Creating one stays with the CLI: a token that could
 * mint tokens would outlive its own revocation.
 */
export function adminTokenRoutes(deps: FlowDeps): Route[] {
  return [
    {
      method: 'GET', path: '/admin/v1/admin-tokens', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const query = parseQuery(ListQuery, c.req.query());
        const scope = organizationScope(c.get('admin'));
        const page = await listAdminTokens(deps, scope === undefined ? {} : { organizationId: scope }, pageRequest(query));
        return c.json(pageBody(page, describeAdminToken));
      },
      doc: {
        operationId: 'adminListAdminTokens', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'List admin tokens (an organization\'s token: that organization\'s only), in creation order; never a secret',
        query: ListQuery,
        responses: { 200: { description: 'One page', schema: pageBodySchema(AdminTokenBody) }, 400: badRequest, 401: unauthorized, 500: internalError },
      },
    },
    {
      method: 'GET', path: '/admin/v1/admin-tokens/:adminTokenId', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const token = await getAdminToken(deps, c.req.param('adminTokenId')!);
        // An all-organizations token is visible only to all-organizations tokens.
        assertVisible(c.get('admin'), token.organizationId, 'admin token');
        return c.json(describeAdminToken(token));
      },
      doc: {
        operationId: 'adminGetAdminToken', tag: ADMIN_TAG, credential: 'adminToken', summary: 'One admin token',
        responses: { 200: { description: 'The token', schema: AdminTokenBody }, 401: unauthorized, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'POST', path: '/admin/v1/admin-tokens/:adminTokenId/revoke', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const principal = c.get('admin');
        const id = c.req.param('adminTokenId')!;
        assertVisible(principal, (await getAdminToken(deps, id)).organizationId, 'admin token');
        return c.json(describeAdminToken(await revokeAdminToken(deps, id, auditActor(principal))));
      },
      doc: {
        operationId: 'adminRevokeAdminToken', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'Revoke an admin token: its next request gets 401 (revoking a revoked token changes nothing)',
        responses: { 200: { description: 'The token, revoked', schema: AdminTokenBody }, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
  ];
}
