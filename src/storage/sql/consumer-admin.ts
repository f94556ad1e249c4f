import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { rethrowConflict } from './conflict.js';
import { toConsumer, toGrant, toSession } from './rows.js';
import { revokeSessionsWhere } from './session-rows.js';

type ConsumerAdminMethods = Pick<
  Store,
  'listConsumers' | 'updateConsumerContacts' | 'disableConsumer' | 'enableConsumer' | 'listConsumerSessions' | 'listConsumerGrants' | 'getGrant'
>;

/** The issuer of the email and phone identities Latchkey verified itself (flows/identity-sign-in.ts). */
const LATCHKEY_ISSUER = 'latchkey';

/** An operator's reads and changes of consumers (SPEC §10 admin API); lists page in id order. */
export function consumerAdminQueries(db: Kysely<Database>): ConsumerAdminMethods {
  return {
    async listConsumers(filter, page) {
      let query = db.selectFrom('consumers as c').selectAll('c').where('c.merged_into_id', 'is', null).orderBy('c.id').limit(page.limit);
      if (filter.organizationId !== undefined) query = query.where('c.organization_id', '=', filter.organizationId);
      if (filter.environment !== undefined) query = query.where('c.environment', '=', filter.environment);
      if (filter.email !== undefined) query = query.where('c.email', '=', filter.email);
      if (filter.phone !== undefined) query = query.where('c.phone', '=', filter.phone);
      if (filter.identity !== undefined) {
        const { provider, issuer, subject } = filter.identity;
        query = query.where(({ exists, selectFrom }) =>
          exists(
            selectFrom('identities as i')
              .select('i.id')
              .whereRef('i.consumer_id', '=', 'c.id')
              .where('i.provider', '=', provider)
              .where('i.issuer', '=', issuer)
              .where('i.subject', '=', subject),
          ),
        );
      }
      if (page.after !== null) query = query.where('c.id', '>', page.after);
      return (await query.execute()).map(toConsumer);
    },

    async updateConsumerContacts(consumerId, change, now) {
      return db
        .transaction()
        .execute(async (trx) => {
          const row = await trx.selectFrom('consumers').selectAll().where('id', '=', consumerId).executeTakeFirst();
          if (!row) return undefined;
          const addresses = [
            { value: change.email, old: row.email, provider: 'email', column: 'email', verified: 'email_verified_at' },
            { value: change.phone, old: row.phone, provider: 'phone', column: 'phone', verified: 'phone_verified_at' },
          ] as const;
          for (const { value, old, provider, column, verified } of addresses) {
            if (value === undefined || value === old) continue;
            // A new address is not proven by the proof of the old one (OpenID Connect `*_verified`).
            await trx.updateTable('consumers').set({ [column]: value, [verified]: null, updated_at: now }).where('id', '=', consumerId).execute();
            // The sign-in identity follows its address, so the person signs in with the new one
            // (cleared: that identity goes).
            const ofOldAddress = { consumer_id: consumerId, provider, issuer: LATCHKEY_ISSUER, subject: old ?? '' };
            if (value === null) {
              await trx.deleteFrom('identities').where((eb) => eb.and(ofOldAddress)).execute();
              continue;
            }
            const moved = await trx.updateTable('identities').set({ subject: value }).where((eb) => eb.and(ofOldAddress)).executeTakeFirst();
            const hasOne = async () =>
              (await trx.selectFrom('identities').select('id').where((eb) => eb.and({ consumer_id: consumerId, provider, issuer: LATCHKEY_ISSUER })).executeTakeFirst()) !== undefined;
            // An email set by an operator is the person's email to sign in with, as `users create` makes it.
            if (provider === 'email' && change.emailIdentityId && Number(moved.numUpdatedRows) === 0 && !(await hasOne())) {
              await trx.insertInto('identities').values({
                id: change.emailIdentityId, organization_id: row.organization_id, environment: row.environment, consumer_id: consumerId,
                provider, issuer: LATCHKEY_ISSUER, subject: value, created_at: now,
              }).execute();
            }
          }
          // The SMS second factor cannot work without a phone.
          if (change.phone === null) await trx.updateTable('consumers').set({ second_factor: null }).where('id', '=', consumerId).execute();
          if (change.fullName !== undefined && change.fullName !== row.full_name) {
            await trx.updateTable('consumers').set({ full_name: change.fullName, updated_at: now }).where('id', '=', consumerId).execute();
          }
          return toConsumer(await trx.selectFrom('consumers').selectAll().where('id', '=', consumerId).executeTakeFirstOrThrow());
        })
        .catch(rethrowConflict);
    },

    async disableConsumer(consumerId, now) {
      return db.transaction().execute(async (trx) => {
        // The UPDATE locks the row first: a sign-in that checks it (sign-in-writes.ts) waits for this
        // transaction and then sees it disabled; one that checked before holds its share lock, so
        // this waits for its session to commit and revokes it below.
        const result = await trx.updateTable('consumers').set({ disabled_at: now, updated_at: now }).where('id', '=', consumerId).where('disabled_at', 'is', null).executeTakeFirst();
        const sessionsRevoked = await revokeSessionsWhere(trx, { consumerId }, now);
        return { disabled: Number(result.numUpdatedRows) === 1, sessionsRevoked };
      });
    },

    async enableConsumer(consumerId, now) {
      const result = await db.updateTable('consumers').set({ disabled_at: null, updated_at: now }).where('id', '=', consumerId).where('disabled_at', 'is not', null).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async listConsumerSessions(consumerId, page) {
      let query = db.selectFrom('sessions').selectAll().where('consumer_id', '=', consumerId).orderBy('id').limit(page.limit);
      if (page.after !== null) query = query.where('id', '>', page.after);
      return (await query.execute()).map(toSession);
    },

    async listConsumerGrants(consumerId, page) {
      let query = db.selectFrom('grants').selectAll().where('consumer_id', '=', consumerId).orderBy('id').limit(page.limit);
      if (page.after !== null) query = query.where('id', '>', page.after);
      return (await query.execute()).map(toGrant);
    },

    async getGrant(id) {
      const row = await db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toGrant(row);
    },
  };
}
