import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Consumer, Environment, ExternalIdentity, Store } from '../store.js';
import { isUniqueViolation } from '../database.js';
import { prepareQuery, type Placeholder } from '../prepared.js';
import { rethrowConflict } from './conflict.js';
import { isLinked, markAbsorbedIn, mergeIntoGuestIn, upgradeGuestIn } from './guest-links.js';
import { toConsumer } from './rows.js';

type ConsumerMethods = Pick<
  Store,
  | 'getConsumer' | 'listExternalIdentities' | 'findConsumerByExternalIdentity' | 'findConsumerByCanonicalSubject'
  | 'createConsumerWithIdentity' | 'attachExternalIdentity' | 'fillEmptyConsumerFields'
  | 'createConsumer' | 'mergeConsumerIntoGuest' | 'markGuestAbsorbed' | 'upgradeGuest'
  | 'setPasswordHash' | 'setSecondFactor' | 'findPasswordUser' | 'markContactVerified'
>;

/** Domain consumer → row. */
export function consumerRow(consumer: Consumer) {
  return {
    id: consumer.id,
    organization_id: consumer.organizationId,
    environment: consumer.environment,
    type: consumer.type,
    email: consumer.email,
    phone: consumer.phone,
    full_name: consumer.fullName,
    canonical_subject: consumer.canonicalSubject,
    claims: JSON.stringify(consumer.claims),
    merged_into_id: consumer.mergedIntoId,
    second_factor: consumer.secondFactor,
    totp_enabled_at: consumer.totpEnabledAt,
    email_verified_at: consumer.emailVerifiedAt,
    phone_verified_at: consumer.phoneVerifiedAt,
    created_at: consumer.createdAt,
    updated_at: consumer.updatedAt,
  };
}

/** Inserts a consumer and its first identity (in the consumer's pool), in the caller's transaction. */
export async function insertConsumerWithIdentity(trx: Kysely<Database>, consumer: Consumer, identityId: string, identity: ExternalIdentity): Promise<void> {
  await trx.insertInto('consumers').values(consumerRow(consumer)).execute();
  await trx
    .insertInto('identities')
    .values({ id: identityId, organization_id: consumer.organizationId, environment: consumer.environment, consumer_id: consumer.id, ...identity, created_at: consumer.createdAt })
    .execute();
}

/** Sets email and phone only where still empty: one conditional UPDATE each (neither is unique). */
export async function fillEmptyContacts(executor: Kysely<Database>, consumerId: string, fields: { email?: string; phone?: string }, now: number): Promise<void> {
  if (fields.email !== undefined) {
    await executor.updateTable('consumers').set({ email: fields.email, updated_at: now }).where('id', '=', consumerId).where('email', 'is', null).execute();
  }
  if (fields.phone !== undefined) {
    await executor.updateTable('consumers').set({ phone: fields.phone, updated_at: now }).where('id', '=', consumerId).where('phone', 'is', null).execute();
  }
}

/**
 * Consumers and their external identities. Every lookup by identity, canonical subject or email is
 * scoped to one pool — organization and environment (SPEC §1) — in its WHERE clause, and an
 * identity always takes its consumer's pool, so no lookup can cross from test to live.
 */
export function consumerQueries(db: Kysely<Database>): ConsumerMethods {
  // Every sign-in reads these (prepared.ts).
  const byId = prepareQuery(db, (db, $: Placeholder<{ id: string }>) => db.selectFrom('consumers').selectAll().where('id', '=', $('id')));
  const byExternalIdentity = prepareQuery(db, (db, $: Placeholder<{ organizationId: string; environment: Environment; provider: string; issuer: string; subject: string }>) =>
    db
      .selectFrom('identities as i')
      .innerJoin('consumers as c', 'c.id', 'i.consumer_id')
      .selectAll('c')
      .where('i.organization_id', '=', $('organizationId'))
      .where('i.environment', '=', $('environment'))
      .where('i.provider', '=', $('provider'))
      .where('i.issuer', '=', $('issuer'))
      .where('i.subject', '=', $('subject')),
  );

  return {
    async getConsumer(id) {
      const row = await byId.first({ id });
      return row && toConsumer(row);
    },

    async listExternalIdentities(consumerId) {
      return db
        .selectFrom('identities')
        .select(['provider', 'issuer', 'subject'])
        .where('consumer_id', '=', consumerId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },

    async findConsumerByExternalIdentity(pool, identity) {
      const row = await byExternalIdentity.first({
        organizationId: pool.organizationId, environment: pool.environment, provider: identity.provider, issuer: identity.issuer, subject: identity.subject,
      });
      return row && toConsumer(row);
    },

    async createConsumer(consumer) {
      await db.insertInto('consumers').values(consumerRow(consumer)).execute().catch(rethrowConflict);
    },

    async mergeConsumerIntoGuest(sourceId, guestId, now) {
      return isLinked(db.transaction().execute((trx) => mergeIntoGuestIn(trx, sourceId, guestId, now)));
    },

    async upgradeGuest(guestId, identityId, identity, now) {
      return isLinked(db.transaction().execute((trx) => upgradeGuestIn(trx, guestId, identityId, identity, now)).catch(rethrowConflict));
    },

    async markGuestAbsorbed(guestId, intoId, now) {
      return isLinked(markAbsorbedIn(db, guestId, intoId, now));
    },

    async setPasswordHash(consumerId, passwordHash, now) {
      await db.updateTable('consumers').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', consumerId).execute();
    },

    async setSecondFactor(consumerId, secondFactor, now) {
      await db.updateTable('consumers').set({ second_factor: secondFactor, updated_at: now }).where('id', '=', consumerId).execute();
    },

    async markContactVerified(consumerId, contact, address, now) {
      const [addressColumn, verifiedColumn] = contact === 'email' ? (['email', 'email_verified_at'] as const) : (['phone', 'phone_verified_at'] as const);
      const mark = (isFirst: boolean) => {
        let query = db.updateTable('consumers').set(isFirst ? { [verifiedColumn]: now, updated_at: now } : { [verifiedColumn]: now })
          .where('id', '=', consumerId).where(addressColumn, '=', address);
        // The first proof changes what UserInfo says (`*_verified`), so it moves `updated_at`; a later one does not.
        query = isFirst ? query.where(verifiedColumn, 'is', null) : query.where(verifiedColumn, 'is not', null);
        return query.executeTakeFirst();
      };
      const first = await mark(true);
      if (first.numUpdatedRows === 0n) await mark(false);
    },

    async findPasswordUser(pool, email) {
      const row = await db
        .selectFrom('identities as i')
        .innerJoin('consumers as c', 'c.id', 'i.consumer_id')
        .selectAll('c')
        .where('i.organization_id', '=', pool.organizationId)
        .where('i.environment', '=', pool.environment)
        .where('i.provider', '=', 'email')
        .where('i.issuer', '=', 'latchkey')
        .where('i.subject', '=', email)
        .where('c.password_hash', 'is not', null)
        .executeTakeFirst();
      return row && { consumer: toConsumer(row), passwordHash: row.password_hash! };
    },

    async findConsumerByCanonicalSubject(pool, canonicalSubject) {
      const row = await db
        .selectFrom('consumers')
        .selectAll()
        .where('organization_id', '=', pool.organizationId)
        .where('environment', '=', pool.environment)
        .where('canonical_subject', '=', canonicalSubject)
        .executeTakeFirst();
      return row && toConsumer(row);
    },

    async createConsumerWithIdentity(consumer, identityId, identity) {
      await db
        .transaction()
        .execute((trx) => insertConsumerWithIdentity(trx, consumer, identityId, identity))
        .catch(rethrowConflict);
    },

    async attachExternalIdentity(consumerId, identityId, identity, now) {
      await db
        .transaction()
        .execute(async (trx) => {
          // The identity takes the consumer's organization and environment, read in the same statement.
          await trx
            .insertInto('identities')
            .columns(['id', 'organization_id', 'environment', 'consumer_id', 'provider', 'issuer', 'subject', 'created_at'])
            .expression(
              trx
                .selectFrom('consumers')
                .select((eb) => [
                  eb.val(identityId).as('id'), 'organization_id', 'environment', 'id as consumer_id',
                  eb.val(identity.provider).as('provider'), eb.val(identity.issuer).as('issuer'), eb.val(identity.subject).as('subject'),
                  sql<number>`cast(${now} as bigint)`.as('created_at'),
                ])
                .where('id', '=', consumerId),
            )
            .execute();
          // Having an identity makes a consumer authenticated (SPEC §1).
          await trx.updateTable('consumers').set({ type: 'authenticated', updated_at: now }).where('id', '=', consumerId).execute();
        })
        .catch(rethrowConflict);
    },

    async fillEmptyConsumerFields(consumerId, fields, now) {
      // Each fill is one conditional UPDATE (`… WHERE column IS NULL`), so concurrent fills never
      // overwrite each other; no transaction is needed, and none is used, because a unique violation
      // would abort a PostgreSQL transaction.
      await fillEmptyContacts(db, consumerId, fields, now);
      if (fields.fullName !== undefined) {
        await db.updateTable('consumers').set({ full_name: fields.fullName, updated_at: now }).where('id', '=', consumerId).where('full_name', 'is', null).execute();
      }
      if (fields.canonicalSubject !== undefined) {
        const canonicalSubject = fields.canonicalSubject;
        await db
          .updateTable('consumers')
          .set({ canonical_subject: canonicalSubject, updated_at: now })
          .where('id', '=', consumerId)
          .where('canonical_subject', 'is', null)
          .where(({ not, exists, selectFrom }) =>
            not(exists(
              selectFrom('consumers as other')
                .select('other.id')
                .whereRef('other.organization_id', '=', 'consumers.organization_id')
                .whereRef('other.environment', '=', 'consumers.environment')
                .where('other.canonical_subject', '=', canonicalSubject),
            )),
          )
          .execute()
          .catch((error) => {
            // Another consumer claimed it between the check and the write: leave ours unset.
            if (!isUniqueViolation(error)) throw error;
          });
      }
      if (fields.claims && Object.keys(fields.claims).length > 0) {
        const row = await db.selectFrom('consumers').select('claims').where('id', '=', consumerId).executeTakeFirstOrThrow();
        const stored = JSON.parse(row.claims) as Record<string, unknown>;
        const merged = { ...fields.claims, ...stored };
        if (Object.keys(merged).length !== Object.keys(stored).length) {
          // Guarded by the value we read, so a concurrent merge is not lost silently: it simply wins.
          await db
            .updateTable('consumers')
            .set({ claims: JSON.stringify(merged), updated_at: now })
            .where('id', '=', consumerId)
            .where('claims', '=', row.claims)
            .execute();
        }
      }
      const updated = await byId.first({ id: consumerId });
      if (!updated) throw new Error(`consumer ${consumerId} vanished while its fields were filled`);
      return toConsumer(updated);
    },
  };
}
