import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { toDevMessage } from './rows.js';

type DeliveryMethods = Pick<Store, 'getDeliverySettingsSealed' | 'setDeliverySettingsSealed' | 'appendDevMessage' | 'listDevMessages'>;

/** Per-organization delivery settings and the development outbox. */
export function deliveryQueries(db: Kysely<Database>): DeliveryMethods {
  return {
    async getDeliverySettingsSealed(organizationId) {
      const row = await db.selectFrom('organizations').select('delivery_sealed').where('id', '=', organizationId).executeTakeFirst();
      return row?.delivery_sealed ?? null;
    },

    async setDeliverySettingsSealed(organizationId, sealed) {
      await db.updateTable('organizations').set({ delivery_sealed: sealed }).where('id', '=', organizationId).execute();
    },

    async appendDevMessage(message) {
      await db
        .insertInto('dev_outbox')
        .values({
          id: message.id,
          organization_id: message.organizationId,
          channel: message.channel,
          recipient: message.recipient,
          subject: message.subject,
          body: message.body,
          created_at: message.createdAt,
        })
        .execute();
    },

    async listDevMessages(filter) {
      let query = db.selectFrom('dev_outbox').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit ?? 50);
      if (filter.organizationId) query = query.where('organization_id', '=', filter.organizationId);
      if (filter.recipient) query = query.where('recipient', '=', filter.recipient);
      return (await query.execute()).map(toDevMessage);
    },
  };
}
