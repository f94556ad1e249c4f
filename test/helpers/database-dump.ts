import { sql, type Kysely } from 'kysely';
import { openDatabase } from '../../src/storage/database.js';

/**
 * Every row of every table of the server's database, as one JSON text: what an attacker who copied
 * the database would hold. Read over a connection of its own, like a backup would.
 */
export async function dumpDatabase(databaseUrl: string): Promise<string> {
  const { db: opened, engine } = openDatabase(databaseUrl);
  const db = opened as unknown as Kysely<any>;
  try {
    // PostgreSQL: the tables of this test's own schema only — introspection lists every schema of the
    // shared test database, and another run's tables (another branch's migrations) are not on our path.
    const schema = engine === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]!.schema : undefined;
    const tables = (await db.introspection.getTables()).filter((t) => schema === undefined || t.schema === schema).map((t) => t.name).sort();
    const dump: Record<string, unknown[]> = {};
    for (const table of tables) dump[table] = await db.selectFrom(table).selectAll().execute();
    return JSON.stringify(dump);
  } finally {
    await db.destroy();
  }
}
