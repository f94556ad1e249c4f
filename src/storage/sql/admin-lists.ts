import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { toAuditEvent, toOrganization, toSigningKey } from './rows.js';

type AdminListMethods = Pick<Store, 'pageOrganizations' | 'listAllSigningKeys' | 'pageAuditEvents'>;

/** The admin API's lists (SPEC §10): ad-hoc queries, paged by id (time-ordered, so stable). */
export function adminListQueries(db: Kysely<Database>): AdminListMethods {
  return {
    async pageOrganizations(filter, page) {
      let query = db.selectFrom('organizations').selectAll().orderBy('id').limit(page.limit);
      if (filter.organizationId !== undefined) query = query.where('id', '=', filter.organizationId);
      if (page.after !== null) query = query.where('id', '>', page.after);
      return (await query.execute()).map(toOrganization);
    },

    async listAllSigningKeys() {
      const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid', 'desc').execute();
      return rows.map(toSigningKey);
    },

    async pageAuditEvents(filter, page) {
      // Each filter has an index (migrations 001 and 011) led by its column and followed by id.
      let query = db.selectFrom('audit_events').selectAll().orderBy('id').limit(page.limit);
      if (filter.organizationId !== undefined) query = query.where('organization_id', '=', filter.organizationId);
      if (filter.type !== undefined) query = query.where('type', '=', filter.type);
      if (filter.actorId !== undefined) query = query.where('actor_id', '=', filter.actorId);
      if (filter.consumerId !== undefined) query = query.where('consumer_id', '=', filter.consumerId);
      if (filter.from !== undefined) query = query.where('created_at', '>=', filter.from);
      if (filter.to !== undefined) query = query.where('created_at', '<', filter.to);
      if (page.after !== null) query = query.where('id', '>', page.after);
      return (await query.execute()).map(toAuditEvent);
    },
  };
}
