import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import { attachNamedStatements, NamedStatements, withNamedStatements } from './pg-named-statements.js';
import { attachSqlite } from './prepared.js';
import type { Database } from './schema.js';

export type Engine = 'sqlite' | 'postgres';

export interface OpenDatabase {
  readonly db: Kysely<Database>;
  readonly engine: Engine;
  /** The SQLite database file, when the engine is SQLite on a file. */
  readonly sqlitePath?: string;
  /** SQLite: the one connection Kysely also uses, for the hot writes' group commit (sqlite-write-batch.ts). */
  readonly sqlite?: SQLite.Database;
}

// int8 (OID 20) columns hold millisecond instants, well inside Number's exact range; read them as
// numbers rather than pg's default strings. Scoped to our pool, not pg's global parser table.
const INT8_OID = 20;
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Opens the database a `sqlite:<path>` or `postgres://…` URL names. */
export function openDatabase(
  databaseUrl: string,
  options: { poolSize?: number; namedStatements?: boolean; onIdleClientError?: (message: string) => void } = {},
): OpenDatabase {
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length);
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    const sqlite = new SQLite(path);
    // WAL lets readers proceed during a write; busy_timeout makes a second process (the CLI while a
    // server runs) wait for the write lock instead of failing at once.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('synchronous = NORMAL');
    // Checkpoint every ~40 MB of WAL instead of SQLite's 4 MB: the hot index pages are rewritten by
    // every token request, and a rarer checkpoint copies each of them once instead of many times
    // (+10–30 % on the session scenarios, docs/benchmarks.md). The file is cut back after each.
    sqlite.pragma('wal_autocheckpoint = 10000');
    sqlite.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    attachSqlite(db, sqlite);
    return {
      db,
      engine: 'sqlite',
      sqlite,
      ...(path !== ':memory:' ? { sqlitePath: resolve(path) } : {}),
    };
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.poolSize ?? 10, types: pgTypes });
  // node-postgres emits an idle client's failure (a restarted server, a dropped connection) on the
  // pool; with no listener that is an uncaught 'error' that ends the process. The pool replaces the
  // client on the next query, so a warning is all this needs.
  pool.on('error', (error) => options.onIdleClientError?.(error.message));
  if (options.namedStatements === false) return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), engine: 'postgres' };
  const statements = new NamedStatements();
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: withNamedStatements(pool, statements) }) });
  attachNamedStatements(db, statements);
  return { db, engine: 'postgres' };
}

/** True when `error` is a unique-constraint violation on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Kysely prepares every query anew; better-sqlite3 statements are reusable, and preparing was a tenth
 * of the token endpoint's CPU in the profile (docs/benchmarks.md). Keeps the most recent distinct
 * SQL texts prepared (bounded: `in (…)` lists of varying length make new texts).
 */
function withStatementCache(database: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  // A plain object with the two methods Kysely's driver calls, not a Proxy: a Proxy's trap ran on
  // every property read and showed in the profile on its own.
  return {
    prepare(source: string) {
      let statement = cache.get(source);
      if (!statement) {
        statement = database.prepare(source);
        if (cache.size >= 500) cache.delete(cache.keys().next().value!);
        cache.set(source, statement);
      }
      return statement;
    },
    close: () => void database.close(),
  };
}
