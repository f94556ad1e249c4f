import type { Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { openDatabase } from '../../src/storage/database.js';
import { migrateTo, migrateToLatest } from '../../src/storage/migrate.js';
import { openStore, type SqlStore } from '../../src/storage/sql-store.js';
import { createTestDatabase, type EngineName, type TestDatabase } from './engines.js';

/**
 * A migration test's database (call inside a describe): migrated up to `before`, filled by `seed`
 * with rows as that schema had them, then migrated to the latest; `store()` is a store opened on it
 * and `applied` the migrations the last step ran.
 */
export function databaseMigratedFrom(engine: EngineName, before: string, seed: (db: Kysely<any>) => Promise<void>) {
  let database: TestDatabase;
  let store: SqlStore;
  let applied: string[] = [];
  beforeAll(async () => {
    database = await createTestDatabase(engine);
    const opened = openDatabase(database.url, { namedStatements: false });
    const db = opened.db as unknown as Kysely<any>;
    await migrateTo(db, opened.engine, before);
    await seed(db);
    applied = await migrateToLatest(db, opened.engine);
    await db.destroy();
    store = await openStore(database.url);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });
  return { store: () => store, applied: () => applied };
}
