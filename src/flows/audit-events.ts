import type { AuditEvent, AuditEventFilter, PageRequest } from '../storage/store.js';
import type { FlowDeps } from './deps.js';
import { fetchPage, type Page } from './paging.js';

export type { AuditEvent, AuditEventFilter } from '../storage/store.js';

/** The audit log (SPEC §8, §10), filtered, in time order. */
export function listAuditEvents(deps: FlowDeps, filter: AuditEventFilter, page: PageRequest): Promise<Page<AuditEvent>> {
  return fetchPage(page, (request) => deps.store.pageAuditEvents(filter, request), (event) => event.id);
}

/** An audit event as the admin API shows it. Its data holds ids, never a secret (observability/audit.ts). */
export function describeAuditEvent(event: AuditEvent) {
  return { id: event.id, organizationId: event.organizationId, type: event.type, data: event.data, createdAt: new Date(event.createdAt).toISOString() };
}
