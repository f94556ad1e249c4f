import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { toExchangeCode } from './rows.js';

type ExchangeCodeMethods = Pick<Store, 'createExchangeCode' | 'consumeExchangeCode' | 'findExchangeCode'>;

/** One-time exchange codes of SPEC §5.1–5.2. */
export function exchangeCodeQueries(db: Kysely<Database>): ExchangeCodeMethods {
  return {
    async createExchangeCode(code) {
      await db
        .insertInto('exchange_codes')
        .values({
          code_hash: code.codeHash,
          organization_id: code.organizationId,
          application_id: code.applicationId,
          consumer_id: code.consumerId,
          code_challenge: code.codeChallenge,
          resolution: code.resolution,
          created_at: code.createdAt,
          expires_at: code.expiresAt,
          consumed_at: null,
        })
        .execute();
    },

    async consumeExchangeCode(codeHash, applicationId, codeChallenge, now) {
      // SPEC §4: single use by one atomic conditional write — under any concurrency, on any number
      // of instances, exactly one UPDATE matches the `consumed_at IS NULL` row.
      const row = await db
        .updateTable('exchange_codes')
        .set({ consumed_at: now })
        .where('code_hash', '=', codeHash)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .where('application_id', '=', applicationId)
        .where((eb) =>
          codeChallenge === null
            ? eb('code_challenge', 'is', null)
            : eb.or([eb('code_challenge', 'is', null), eb('code_challenge', '=', codeChallenge)]),
        )
        .returningAll()
        .executeTakeFirst();
      return row && toExchangeCode(row);
    },

    async findExchangeCode(codeHash) {
      const row = await db.selectFrom('exchange_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
      return row && toExchangeCode(row);
    },
  };
}
