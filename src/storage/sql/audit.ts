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
    // Copied out of the JSON so the admin API filters on them by index (migration 011).
    actor_id: actorIdOf(event.data),
    consumer_id: typeof event.data.consumerId === 'string' ? event.data.consumerId : null,
  }));
}

function actorIdOf(data: Record<string, unknown>): string | null {
  const actor = data.actor as { id?: unknown } | undefined;
  return actor && typeof actor.id === 'string' ? actor.id : null;
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
