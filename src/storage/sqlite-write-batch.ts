import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Group commit for the hot SQLite writes (refresh rotation, code redemption; docs/benchmarks.md).
 *
 * Through Kysely a rotation is five asynchronous steps (BEGIN, UPDATE, INSERT, COMMIT, and the
 * session read), each queued behind the one connection's mutex, and every COMMIT writes its pages
 * to the WAL on its own. Here the work of every request that reaches a hot write in the same turn of
 * the event loop runs synchronously, in one transaction: one COMMIT for the batch, no interleaving.
 *
 * Each piece of work runs inside its own SAVEPOINT: one that throws is rolled back alone and its
 * caller gets the error; the others commit. Nothing is answered before the COMMIT returns, so a
 * caller never sees a write that could still be lost (a crash before the COMMIT loses the whole
 * batch, none of which was answered). The work must be synchronous: better-sqlite3 statements only.
 *
 * Kysely and this share one better-sqlite3 connection. Its open transactions are the one hazard (our
 * BEGIN would fail, or our statements would join theirs), so the batch runs while holding Kysely's
 * connection — its mutex guarantees no Kysely transaction is between BEGIN and COMMIT meanwhile.
 */
export interface SqliteWriteBatch {
  /** Runs `work` in the next batch; resolves with its result once the batch has committed. */
  run<T>(work: () => T): Promise<T>;
}

/** SQLite only: the connection and its group commit, for the stores' hot writes. */
export interface HotWrites {
  sqlite: SQLite.Database;
  batch: SqliteWriteBatch;
}

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export function sqliteWriteBatch(sqlite: SQLite.Database, db: Kysely<Database>): SqliteWriteBatch {
  let queue: Pending[] = [];
  const begin = sqlite.prepare('begin immediate');
  const commit = sqlite.prepare('commit');
  const rollback = sqlite.prepare('rollback');
  const savepoint = sqlite.prepare('savepoint hot_write');
  const release = sqlite.prepare('release hot_write');
  const rollbackToSavepoint = sqlite.prepare('rollback to hot_write');

  function runBatch(batch: Pending[]): void {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      begin.run();
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    try {
      for (const pending of batch) {
        savepoint.run();
        try {
          outcomes.push({ ok: true, value: pending.work() });
          release.run();
        } catch (error) {
          rollbackToSavepoint.run();
          release.run();
          outcomes.push({ ok: false, error });
        }
      }
      commit.run();
    } catch (error) {
      // The transaction itself failed (disk full, I/O): nothing of the batch is kept.
      if (sqlite.inTransaction) rollback.run();
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  }

  function flush(): void {
    void db
      .connection()
      .execute(async () => {
        // Everything queued until the connection was ours joins this batch.
        const batch = queue;
        queue = [];
        runBatch(batch);
      })
      .catch((error: unknown) => {
        // Only the connection could fail here (the store closed): fail whoever is still waiting.
        const batch = queue;
        queue = [];
        for (const pending of batch) pending.reject(error);
      });
  }

  return {
    run<T>(work: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        // setImmediate runs after this turn's I/O callbacks, so the requests read in the same turn
        // share a batch; a lone request waits no longer than that turn.
        if (queue.length === 0) setImmediate(flush);
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      });
    },
  };
}
