import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Engine } from './database.js';
import * as initial from './migrations/001-initial.js';
import * as guestsAndOtp from './migrations/002-guests-and-otp.js';
import * as oauth from './migrations/003-oauth.js';
import * as branding from './migrations/004-branding.js';
import * as housekeeping from './migrations/005-housekeeping.js';
import * as sessionIndexes from './migrations/006-session-indexes.js';
import * as revokedAccessTokens from './migrations/007-revoked-access-tokens.js';
import * as partialSessionIndexes from './migrations/008-partial-session-indexes.js';
import * as environments from './migrations/009-environments.js';
import * as openIdConnect from './migrations/010-openid-connect.js';
import * as administration from './migrations/011-administration.js';
import * as totp from './migrations/012-totp.js';
import * as passkeys from './migrations/013-passkeys.js';
import * as pushedAuthorization from './migrations/014-pushed-authorization.js';
import * as dpop from './migrations/015-dpop.js';
import * as clientRegistration from './migrations/016-client-registration.js';
import * as dpopAuthorizationCodes from './migrations/017-dpop-authorization-codes.js';

// Migrations are compiled into the program (no directory scanning), in order of their names.
const MIGRATIONS: Record<string, Migration> = {
  '001-initial': initial,
  '002-guests-and-otp': guestsAndOtp,
  '003-oauth': oauth,
  '004-branding': branding,
  '005-housekeeping': housekeeping,
  '006-session-indexes': sessionIndexes,
  '007-revoked-access-tokens': revokedAccessTokens,
  '008-partial-session-indexes': partialSessionIndexes,
  '009-environments': environments,
  '010-openid-connect': openIdConnect,
  '011-administration': administration,
  '012-totp': totp,
  '013-passkeys': passkeys,
  '014-pushed-authorization': pushedAuthorization,
  '015-dpop': dpop,
  '016-client-registration': clientRegistration,
  '017-dpop-authorization-codes': dpopAuthorizationCodes,
};

/** Every migration's name, in the order they apply. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(MIGRATIONS);

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/**
 * Brings the schema up to date. Kysely's migrator takes a lock first (an advisory lock on
 * PostgreSQL), so several instances starting at once apply each migration exactly once.
 * Returns the names of the migrations applied by this call.
 */
export async function migrateToLatest(db: Kysely<any>, engine: Engine): Promise<string[]> {
  const { error, results } = await (await migratorFor(db, engine)).migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Brings the schema to the named migration (tests build databases of an older version with it). */
export async function migrateTo(db: Kysely<any>, engine: Engine, name: string): Promise<void> {
  if (!(name in MIGRATIONS)) throw new Error(`no migration named ${name}`);
  const { error } = await (await migratorFor(db, engine)).migrateTo(name);
  if (error) throw error;
}

async function migratorFor(db: Kysely<any>, engine: Engine): Promise<Migrator> {
  // On PostgreSQL the migration tables live in the current schema, named explicitly: without it
  // Kysely takes a same-named table in *any* schema of the database for ours (another application,
  // or another Latchkey schema) and then fails to find it on the search path.
  const migrationTableSchema =
    engine === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]!.schema : undefined;
  return new Migrator({ db, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
}
