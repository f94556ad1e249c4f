import { parseArgs } from 'node:util';
import type { Config } from '../config/config.js';
import { ensureDefaultOrganization } from '../flows/bootstrap.js';
import { createAuditLog } from '../observability/audit.js';
import { systemClock } from '../protocol/clock.js';
import { openDatabase } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrate.js';
import { checkDatabase, explainStartupFailure, openCheckedStore } from '../server.js';
import { cliLogger, print } from './runtime.js';

/**
 * `latchkey migrate`: applies pending migrations and reports which; on a new database it also leaves
 * the `default` organization (SPEC §1). Needs no LATCHKEY_SECRET: it touches no secret.
 */
export async function runMigrate(config: Config, argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } } });
  let applied: string[];
  try {
    await checkDatabase(config);
    const { db, engine } = openDatabase(config.databaseUrl);
    try {
      applied = await migrateToLatest(db, engine);
    } finally {
      await db.destroy();
    }
  } catch (error) {
    throw explainStartupFailure(error, config);
  }
  const store = await openCheckedStore(config, { migrate: false });
  try {
    await ensureDefaultOrganization({ store, clock: systemClock, audit: createAuditLog(store, systemClock, cliLogger(config)) });
  } finally {
    await store.close();
  }
  print(values.json, { applied }, applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
  return 0;
}
