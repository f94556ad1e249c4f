import type { Kysely, PostgresPool } from 'kysely';
import type pg from 'pg';

/**
 * Server-side prepared statements for the hot queries on PostgreSQL.
 *
 * The pg client sends every query unnamed, so PostgreSQL parses and plans it anew each time — on a
 * small server that sits next to the application, about half of a simple lookup's cost (measured: a
 * named statement doubled the throughput of an indexed SELECT). The queries of
 * `prepared.ts` are fixed in shape, so their SQL texts are registered here, and the pool's clients
 * send those with a name: each connection parses them once (pg tracks which it has).
 *
 * A schema change under a running instance (another instance migrating during a rolling upgrade)
 * can make PostgreSQL refuse a prepared `SELECT *` whose columns changed ("cached plan must not
 * change result type"). The statement then gets a new name, so every connection prepares it again,
 * and the query is retried once — which succeeds unless it ran inside a transaction that the error
 * has already aborted; that one request fails, the next ones do not.
 */
export class NamedStatements {
  readonly #names = new Map<string, string>();
  #generation = 0;

  /** Sends `sql` as a named statement from now on (the texts of prepared queries only: bounded). */
  register(sql: string): void {
    if (!this.#names.has(sql)) this.#names.set(sql, `lk_${this.#names.size}`);
  }

  nameOf(sql: string): string | undefined {
    return this.#names.get(sql);
  }

  /** A fresh name for `sql`, so every connection parses it again. */
  renew(sql: string): string {
    const name = `lk_${this.#names.size}_${++this.#generation}`;
    this.#names.set(sql, name);
    return name;
  }
}

const registries = new WeakMap<Kysely<any>, NamedStatements>();

/** The registry of a PostgreSQL database (undefined on SQLite, whose statements are cached anyway). */
export function namedStatementsOf(db: Kysely<any>): NamedStatements | undefined {
  return registries.get(db);
}

export function attachNamedStatements(db: Kysely<any>, statements: NamedStatements): void {
  registries.set(db, statements);
}

// SQLSTATE 0A000 with this message: the prepared statement's result columns no longer match.
const isStalePlan = (error: unknown) =>
  (error as { code?: string } | null)?.code === '0A000' && /cached plan must not change result type/.test(String((error as Error).message));

type QueryFn = (text: unknown, values?: unknown) => Promise<unknown>;

/**
 * A pool for Kysely's PostgreSQL dialect whose clients send registered texts as named statements.
 * Kysely calls `client.query(sql, parameters)`; everything else passes through unchanged.
 */
export function withNamedStatements(pool: pg.Pool, statements: NamedStatements): PostgresPool {
  const patched = new WeakSet<pg.PoolClient>();
  const patch = (client: pg.PoolClient) => {
    const query = client.query.bind(client) as QueryFn;
    (client as unknown as { query: QueryFn }).query = (text, values) => {
      const name = typeof text === 'string' ? statements.nameOf(text) : undefined;
      if (name === undefined) return query(text, values);
      return query({ name, text, values }).catch((error: unknown) => {
        if (!isStalePlan(error)) throw error;
        return query({ name: statements.renew(text as string), text, values }).catch(() => {
          throw error;
        });
      });
    };
    patched.add(client);
  };
  return {
    async connect() {
      const client = await pool.connect();
      if (!patched.has(client)) patch(client);
      return client;
    },
    end: () => pool.end(),
  };
}
