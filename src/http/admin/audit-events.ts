import * as v from 'valibot';
import { assertVisible, organizationScope } from '../../flows/admin-principal.js';
import { describeAuditEvent, listAuditEvents, type AuditEventFilter } from '../../flows/audit-events.js';
import type { FlowDeps } from '../../flows/deps.js';
import type { Route } from '../route.js';
import { IsoTime } from '../schemas/common.js';
import { parseQuery } from '../validate.js';
import { ADMIN_RESPONSES, ADMIN_TAG } from './common.js';
import { PAGE_QUERY, pageBody, pageBodySchema, pageRequest } from './paging.js';

const id = (prefix: string, what: string) => v.optional(v.pipe(v.string(), v.regex(new RegExp(`^${prefix}_[0-9A-Za-z]{1,64}$`), `${what} must be a ${prefix}_… id`)));

const ListQuery = v.object({
  ...PAGE_QUERY,
  type: v.optional(v.pipe(v.string(), v.regex(/^[a-z_]{1,40}\.[a-z_]{1,40}$/, 'type is an event type such as session.revoked'), v.description('Event type, e.g. session.revoked'))),
  actor: v.pipe(id('adm', 'actor'), v.description('Only changes made with this admin token')),
  consumerId: v.pipe(id('con', 'consumerId'), v.description('Only events about this consumer')),
  organizationId: v.pipe(id('org', 'organizationId'), v.description('Only this organization\'s events (an organization\'s token: always its own)')),
  from: v.optional(v.pipe(IsoTime, v.description('Events at or after this instant (ISO 8601)'))),
  to: v.optional(v.pipe(IsoTime, v.description('Events before this instant (ISO 8601)'))),
});

export const AuditEventBody = v.object({
  id: v.string(),
  organizationId: v.nullable(v.string()),
  type: v.string(),
  data: v.record(v.string(), v.unknown()),
  createdAt: v.string(),
});
const { 400: badRequest, 401: unauthorized, 404: notFound, 500: internalError } = ADMIN_RESPONSES;

/**
 * The audit log (SPEC §8, §10), oldest first, filtered. An organization's token sees its
 * organization's events only (never instance-wide ones such as key rotations); asking for another
 * organization is 404, as for any of its resources.
 */
export function auditEventRoutes(deps: FlowDeps): Route[] {
  return [
    {
      method: 'GET', path: '/admin/v1/audit-events', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const query = parseQuery(ListQuery, c.req.query());
        const principal = c.get('admin');
        if (query.organizationId !== undefined) assertVisible(principal, query.organizationId, 'organization');
        const organizationId = organizationScope(principal) ?? query.organizationId;
        const filter: AuditEventFilter = {
          ...(organizationId !== undefined ? { organizationId } : {}),
          ...(query.type !== undefined ? { type: query.type } : {}),
          ...(query.actor !== undefined ? { actorId: query.actor } : {}),
          ...(query.consumerId !== undefined ? { consumerId: query.consumerId } : {}),
          ...(query.from !== undefined ? { from: Date.parse(query.from) } : {}),
          ...(query.to !== undefined ? { to: Date.parse(query.to) } : {}),
        };
        return c.json(pageBody(await listAuditEvents(deps, filter, pageRequest(query)), describeAuditEvent));
      },
      doc: {
        operationId: 'adminListAuditEvents', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'Audit events, oldest first, filtered by type, actor (admin token), consumer, organization and time; cursor paging',
        query: ListQuery,
        responses: { 200: { description: 'One page', schema: pageBodySchema(AuditEventBody) }, 400: badRequest, 401: unauthorized, 404: notFound, 500: internalError },
      },
    },
  ];
}
