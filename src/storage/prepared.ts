import type SQLite from 'better-sqlite3';
import type { Compilable, CompiledQuery, Insertable, Kysely, QueryResult } from 'kysely';
import { namedStatementsOf } from './pg-named-statements.js';
import type { Database } from './schema.js';

/**
 * A query built and compiled once, run many times with new parameter values.
 *
 * Kysely builds an operation tree and compiles it to SQL on every call; on the token endpoints that
 * was about a fifth of the CPU (docs/benchmarks.md). The hot queries are fixed in shape, so they are
 * built once with named placeholders (`$('name')`) and each run only binds values. The SQL text is
 * still Kysely's, for whichever engine the store runs on: one code path for both.
 */
export interface PreparedQuery<P, R> {
  /** The SQL text, for the engine the store runs on. */
  readonly sql: string;
  /** The bound parameter values for `params`, in the order of the SQL's placeholders. */
  parameters(params: P): unknown[];
  /** Runs the query with `params`, on `executor` (a transaction) or the store's database. */
  execute(params: P, executor?: Kysely<Database>): Promise<QueryResult<R>>;
  /** The rows. */
  all(params: P, executor?: Kysely<Database>): Promise<R[]>;
  /** The first row, or undefined. */
  first(params: P, executor?: Kysely<Database>): Promise<R | undefined>;
  /** Rows changed by an UPDATE, INSERT or DELETE without RETURNING. */
  changes(params: P, executor?: Kysely<Database>): Promise<number>;
}

/** Hands the builder a placeholder standing for parameter `name`, typed as its value. */
export type Placeholder<P> = <K extends keyof P & string>(name: K) => P[K];

// Only the values written into the builder are inspected for the mark, once, at build time; values
// bound at run time never are, so no input can pass for a placeholder.
const MARK = '\u0000latchkey-parameter:';

type Slot = { name: string } | { value: unknown };

export function prepareQuery<P extends Record<string, unknown>, R>(
  db: Kysely<Database>,
  build: (db: Kysely<Database>, $: Placeholder<P>) => Compilable<R>,
): PreparedQuery<P, R> {
  const named = new Set<string>();
  const $ = ((name: string) => {
    named.add(name);
    return MARK + name;
  }) as Placeholder<P>;
  const compiled = build(db, $).compile();
  // On PostgreSQL the server keeps the statement parsed per connection (pg-named-statements.ts).
  namedStatementsOf(db)?.register(compiled.sql);
  const slots: Slot[] = compiled.parameters.map((value) =>
    typeof value === 'string' && value.startsWith(MARK) ? { name: value.slice(MARK.length) } : { value },
  );
  // A placeholder Kysely did not turn into a bound parameter (inlined, or used in a way that copies
  // it) would silently compare against the marker: refuse the query at start instead.
  const bound = new Set(slots.flatMap((slot) => ('name' in slot ? [slot.name] : [])));
  for (const name of named) if (!bound.has(name)) throw new Error(`prepared query: placeholder ${name} is not a bound parameter`);

  const parameters = (params: P): unknown[] =>
    slots.map((slot) => {
      if (!('name' in slot)) return slot.value;
      const value = params[slot.name];
      if (value === undefined) throw new Error(`prepared query: no value for ${slot.name}`);
      return value;
    });
  const bind = (params: P): CompiledQuery<R> => ({ ...compiled, parameters: parameters(params) });
  const direct = directSqlite<R>(db, compiled.sql);
  const execute = (params: P, executor: Kysely<Database> = db): Promise<QueryResult<R>> =>
    direct && executor === db && !direct.sqlite.inTransaction ? direct.run(parameters(params)) : executor.executeQuery(bind(params));
  return {
    sql: compiled.sql,
    parameters,
    execute,
    all: async (params, executor) => (await execute(params, executor)).rows,
    first: async (params, executor) => (await execute(params, executor)).rows[0],
    changes: async (params, executor) => Number((await execute(params, executor)).numAffectedRows ?? 0n),
  };
}

const connections = new WeakMap<Kysely<Database>, SQLite.Database>();

/** SQLite: names the better-sqlite3 connection under `db`, for prepared queries to run on directly. */
export function attachSqlite(db: Kysely<Database>, sqlite: SQLite.Database): void {
  connections.set(db, sqlite);
}

/**
 * SQLite: a prepared query outside any transaction runs straight on the connection, synchronously.
 * Through Kysely it would wait for the connection's mutex and take several asynchronous steps for a
 * call that better-sqlite3 makes synchronously anyway. It is safe only while no Kysely transaction is
 * open on the connection — it would read that transaction's uncommitted rows, or write into it — so
 * the caller checks `inTransaction` at the moment of the call (one thread: nothing can open one
 * between the check and the statement). A query in a transaction (`executor`) goes through Kysely.
 */
function directSqlite<R>(db: Kysely<Database>, sql: string) {
  const sqlite = connections.get(db);
  if (!sqlite) return undefined;
  // Prepared at first use: the store builds its queries before a database without migrations has
  // the tables they name.
  let statement: SQLite.Statement | undefined;
  return {
    sqlite,
    run(parameters: unknown[]): Promise<QueryResult<R>> {
      try {
        statement ??= sqlite.prepare(sql);
        if (statement.reader) return Promise.resolve({ rows: statement.all(parameters) as R[] });
        const { changes } = statement.run(parameters);
        return Promise.resolve({ rows: [], numAffectedRows: BigInt(changes) });
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}

/** The prepared INSERT of one row of `table` with these columns (the row's keys, in order). */
function insertQuery(db: Kysely<Database>, table: keyof Database & string, columns: string[]) {
  return prepareQuery(db, (db, $: Placeholder<Record<string, unknown>>) =>
    // The table and columns are ours, never input: rows are built by the storage modules.
    (db as unknown as Kysely<Record<string, Record<string, unknown>>>).insertInto(table).values(Object.fromEntries(columns.map((column) => [column, $(column)]))),
  );
}

/** One prepared query per table and column set, made at first use: the hot paths always write the same columns. */
function perColumnSet<Q>(make: (table: keyof Database & string, columns: string[]) => Q) {
  const prepared = new Map<string, Q>();
  return (table: keyof Database & string, row: Record<string, unknown>): Q => {
    const columns = Object.keys(row);
    const key = `${table}(${columns.join(',')})`;
    let query = prepared.get(key);
    if (!query) prepared.set(key, (query = make(table, columns)));
    return query;
  };
}

/** Inserts one row into `table`, through a query prepared once per table and column set. */
export function rowInserter(db: Kysely<Database>) {
  const queryFor = perColumnSet((table, columns) => insertQuery(db, table, columns));
  return async function insertRow<T extends keyof Database & string>(table: T, row: Insertable<Database[T]>, executor?: Kysely<Database>): Promise<void> {
    const values = row as Record<string, unknown>;
    await queryFor(table, values).execute(values, executor);
  };
}

/** rowInserter's synchronous twin for work inside a SQLite write batch (sqlite-write-batch.ts). */
export function sqliteRowInserter(db: Kysely<Database>, sqlite: SQLite.Database) {
  const statementFor = perColumnSet((table, columns) => sqliteStatement(sqlite, insertQuery(db, table, columns)));
  return function insertRow<T extends keyof Database & string>(table: T, row: Insertable<Database[T]>): void {
    const values = row as Record<string, unknown>;
    statementFor(table, values).changes(values);
  };
}

/**
 * The same prepared query as a synchronous better-sqlite3 statement, for work inside a SQLite write
 * batch (sqlite-write-batch.ts): the SQL is still the one Kysely compiled.
 */
export function sqliteStatement<P, R>(sqlite: SQLite.Database, query: PreparedQuery<P, R>) {
  let statement: SQLite.Statement | undefined; // at first use, as directSqlite's
  return {
    first: (params: P) => (statement ??= sqlite.prepare(query.sql)).get(query.parameters(params)) as R | undefined,
    changes: (params: P) => (statement ??= sqlite.prepare(query.sql)).run(query.parameters(params)).changes,
  };
}
