import type { Kysely } from 'kysely';
import { openDatabase } from '../../src/storage/database.js';

/**
 * Every row of every table of the server's database, as one JSON text: what an attacker who copied
 * the database would hold. Read over a connection of its own, like a backup would.
 */
export async function dumpDatabase(databaseUrl: string): Promise<string> {
  const db = openDatabase(databaseUrl).db as unknown as Kysely<any>;
  try {
    const tables = (await db.introspection.getTables()).map((t) => t.name).sort();
    const dump: Record<string, unknown[]> = {};
    for (const table of tables) dump[table] = await db.selectFrom(table).selectAll().execute();
    return JSON.stringify(dump);
  } finally {
    await db.destroy();
  }
}
