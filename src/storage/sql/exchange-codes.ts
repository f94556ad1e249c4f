import type { Kysely } from 'kysely';
import { prepareQuery, rowInserter, type Placeholder } from '../prepared.js';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { toExchangeCode } from './rows.js';

type ExchangeCodeMethods = Pick<Store, 'createExchangeCode' | 'consumeExchangeCode' | 'findExchangeCode'>;

type ConsumeParams = { codeHash: string; applicationId: string; now: number };

/** One-time exchange codes of SPEC §5.1–5.2. */
export function exchangeCodeQueries(db: Kysely<Database>): ExchangeCodeMethods {
  const insertRow = rowInserter(db);
  // SPEC §4: single use by one atomic conditional write — under any concurrency, on any number of
  // instances, exactly one UPDATE matches the `consumed_at IS NULL` row.
  const consumeLive = (db: Kysely<Database>, $: Placeholder<ConsumeParams>) =>
    db
      .updateTable('exchange_codes')
      .set({ consumed_at: $('now') })
      .where('code_hash', '=', $('codeHash'))
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', $('now'))
      .where('application_id', '=', $('applicationId'));
  // Without a verifier only a code that is not browser-bound is consumed; with one, an unbound code
  // or the code whose challenge the verifier hashes to.
  const consumeUnbound = prepareQuery(db, (db, $: Placeholder<ConsumeParams>) => consumeLive(db, $).where('code_challenge', 'is', null).returningAll());
  const consumeWithVerifier = prepareQuery(db, (db, $: Placeholder<ConsumeParams & { codeChallenge: string }>) =>
    consumeLive(db, $)
      .where((eb) => eb.or([eb('code_challenge', 'is', null), eb('code_challenge', '=', $('codeChallenge'))]))
      .returningAll(),
  );
  const byHash = prepareQuery(db, (db, $: Placeholder<{ codeHash: string }>) => db.selectFrom('exchange_codes').selectAll().where('code_hash', '=', $('codeHash')));

  return {
    async createExchangeCode(code) {
      await insertRow('exchange_codes', {
        code_hash: code.codeHash,
        organization_id: code.organizationId,
        application_id: code.applicationId,
        consumer_id: code.consumerId,
        code_challenge: code.codeChallenge,
        resolution: code.resolution,
        created_at: code.createdAt,
        expires_at: code.expiresAt,
        consumed_at: null,
      });
    },

    async consumeExchangeCode(codeHash, applicationId, codeChallenge, now) {
      const row =
        codeChallenge === null
          ? await consumeUnbound.first({ codeHash, applicationId, now })
          : await consumeWithVerifier.first({ codeHash, applicationId, now, codeChallenge });
      return row && toExchangeCode(row);
    },

    async findExchangeCode(codeHash) {
      const row = await byHash.first({ codeHash });
      return row && toExchangeCode(row);
    },
  };
}
