import type { Kysely, Selectable } from 'kysely';
import type { AfterConsume } from '../fault-point.js';
import { prepareQuery, rowInserter, sqliteRowInserter, sqliteStatement, type Placeholder, type PreparedQuery } from '../prepared.js';
import type { HotWrites } from '../sqlite-write-batch.js';
import type { Database } from '../schema.js';
import type { Consumer, Store } from '../store.js';
import { rethrowConflict } from './conflict.js';
import { toConsumer, toExchangeCode } from './rows.js';
import { signInStatements, sqliteSessionWriter, writeSignIn } from './sign-in-writes.js';

type ExchangeCodeMethods = Pick<Store, 'createExchangeCode' | 'redeemExchangeCode' | 'findExchangeCode'>;

type ConsumeParams = { codeHash: string; applicationId: string; now: number };

/** How many merges an exchange follows to the consumer that speaks for the code's one now. */
const MAX_MERGE_HOPS = 5;

/** One-time exchange codes of SPEC §5.1–5.2. */
export function exchangeCodeQueries(db: Kysely<Database>, afterConsume: AfterConsume, hotWrites?: HotWrites): ExchangeCodeMethods {
  const insertRow = rowInserter(db);
  const signInWrites = signInStatements(db);
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
  const consumerById = prepareQuery(db, (db, $: Placeholder<{ id: string }>) => db.selectFrom('consumers').selectAll().where('id', '=', $('id')));
  const anySession = prepareQuery(db, (db, $: Placeholder<{ consumerId: string }>) =>
    db.selectFrom('sessions').select('id').where('consumer_id', '=', $('consumerId')).limit(1),
  );

  /** The consumer that speaks for `consumerId` now: itself, or the one it was merged into. */
  async function currentConsumer(trx: Kysely<Database>, consumerId: string): Promise<Consumer | undefined> {
    let row = await consumerById.first({ id: consumerId }, trx);
    for (let hops = 0; row?.merged_into_id && hops < MAX_MERGE_HOPS; hops++) row = await consumerById.first({ id: row.merged_into_id }, trx);
    return row && toConsumer(row);
  }

  /**
   * SQLite, an exchange without a guest (the common case): the same statements run synchronously in
   * the next group commit (sqlite-write-batch.ts). A guest link reads and writes much more and stays
   * on the transaction below.
   */
  const insertInBatch = hotWrites && sqliteRowInserter(db, hotWrites.sqlite);
  const redeemInBatch = hotWrites && sqliteRedemption(db, hotWrites, afterConsume, consumeUnbound, consumeWithVerifier, consumerById);

  return {
    async createExchangeCode(code) {
      const row = {
        code_hash: code.codeHash,
        organization_id: code.organizationId,
        application_id: code.applicationId,
        consumer_id: code.consumerId,
        code_challenge: code.codeChallenge,
        resolution: code.resolution,
        created_at: code.createdAt,
        expires_at: code.expiresAt,
        consumed_at: null,
      };
      // SQLite: one COMMIT for every code minted in the same turn (sqlite-write-batch.ts).
      if (insertInBatch) await hotWrites!.batch.run(() => insertInBatch('exchange_codes', row));
      else await insertRow('exchange_codes', row);
    },

    async redeemExchangeCode(match, signIn) {
      const { codeHash, applicationId, codeChallenge, now } = match;
      if (redeemInBatch && !match.withGuest) return redeemInBatch(match, signIn).catch(rethrowConflict);
      // Issue 12.1: the consumption and the sign-in commit together — a crash between them rolls
      // the consumption back, and the code is still there for a retry.
      return db.transaction().execute(async (trx) => {
        const row =
          codeChallenge === null
            ? await consumeUnbound.first({ codeHash, applicationId, now }, trx)
            : await consumeWithVerifier.first({ codeHash, applicationId, now, codeChallenge }, trx);
        if (!row) return undefined;
        afterConsume('exchange_code');
        const code = toExchangeCode(row);
        const consumer = await currentConsumer(trx, code.consumerId);
        const hasSessions = match.withGuest && consumer !== undefined && (await anySession.first({ consumerId: consumer.id }, trx)) !== undefined;
        const signedIn = await writeSignIn(trx, signInWrites, signIn({ code, consumer, hasSessions }), now);
        return { code, signedIn };
      }).catch(rethrowConflict);
    },

    async findExchangeCode(codeHash) {
      const row = await byHash.first({ codeHash });
      return row && toExchangeCode(row);
    },
  };
}

type Row<T extends keyof Database> = Selectable<Database[T]>;

/** The batch form of redeemExchangeCode for an exchange without a guest (issue 12.1 holds: one transaction). */
function sqliteRedemption(
  db: Kysely<Database>,
  { sqlite, batch }: HotWrites,
  afterConsume: AfterConsume,
  consumeUnbound: PreparedQuery<ConsumeParams, Row<'exchange_codes'>>,
  consumeWithVerifier: PreparedQuery<ConsumeParams & { codeChallenge: string }, Row<'exchange_codes'>>,
  consumerById: PreparedQuery<{ id: string }, Row<'consumers'>>,
): Store['redeemExchangeCode'] {
  const unbound = sqliteStatement(sqlite, consumeUnbound);
  const withVerifier = sqliteStatement(sqlite, consumeWithVerifier);
  const consumer = sqliteStatement(sqlite, consumerById);
  const writeSession = sqliteSessionWriter(db, sqlite);
  return ({ codeHash, applicationId, codeChallenge, now }, signIn) =>
    batch.run(() => {
      const row = codeChallenge === null ? unbound.first({ codeHash, applicationId, now }) : withVerifier.first({ codeHash, applicationId, now, codeChallenge });
      if (!row) return undefined;
      afterConsume('exchange_code');
      const code = toExchangeCode(row);
      let current = consumer.first({ id: code.consumerId });
      for (let hops = 0; current?.merged_into_id && hops < MAX_MERGE_HOPS; hops++) current = consumer.first({ id: current.merged_into_id });
      writeSession(signIn({ code, consumer: current && toConsumer(current), hasSessions: false }));
      return { code, signedIn: undefined };
    });
}
