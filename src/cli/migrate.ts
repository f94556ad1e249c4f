import { parseArgs } from 'node:util';
import type { Config } from '../config/config.js';
import { openDatabase } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrate.js';
import { print } from './runtime.js';

/** `latchkey migrate`: applies pending migrations and reports which. */
export async function runMigrate(config: Config, argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } } });
  const { db, engine } = openDatabase(config.databaseUrl);
  try {
    const applied = await migrateToLatest(db, engine);
    print(values.json, { applied }, applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
  } finally {
    await db.destroy();
  }
  return 0;
}
