import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { AuditEvent, Store } from '../store.js';
import { toAuditEvent } from './rows.js';

type AuditMethods = Pick<Store, 'recordAuditEvents' | 'listAuditEvents'>;

/** Audit events → rows (also written inside a sign-in's transaction, sign-in-writes.ts). */
export function auditEventRows(events: readonly AuditEvent[]) {
  return events.map((event) => ({
    id: event.id,
    organization_id: event.organizationId,
    type: event.type,
    data: JSON.stringify(event.data),
    created_at: event.createdAt,
  }));
}

/** The append-only audit log of security events (SPEC §8). */
export function auditQueries(db: Kysely<Database>): AuditMethods {
  return {
    async recordAuditEvents(events) {
      if (events.length === 0) return;
      await db.insertInto('audit_events').values(auditEventRows(events)).execute();
    },

    async listAuditEvents(organizationId, type) {
      let query = db.selectFrom('audit_events').selectAll().orderBy('id');
      query = organizationId === null ? query.where('organization_id', 'is', null) : query.where('organization_id', '=', organizationId);
      if (type) query = query.where('type', '=', type);
      return (await query.execute()).map(toAuditEvent);
    },
  };
}
