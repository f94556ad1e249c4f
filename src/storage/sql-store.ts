import { sql } from 'kysely';
import { openDatabase, type Engine } from './database.js';
import { noFault, type AfterConsume } from './fault-point.js';
import { migrateToLatest } from './migrate.js';
import { startCheckpointer } from './sqlite-checkpointer.js';
import { sqliteWriteBatch } from './sqlite-write-batch.js';
import { adminListQueries } from './sql/admin-lists.js';
import { adminTokenQueries } from './sql/admin-tokens.js';
import { auditQueries } from './sql/audit.js';
import { consumerAdminQueries } from './sql/consumer-admin.js';
import { consumerQueries } from './sql/consumers.js';
import { deliveryQueries } from './sql/delivery.js';
import { dpopProofQueries } from './sql/dpop-proofs.js';
import { erasureQueries } from './sql/erasure.js';
import { exchangeCodeQueries } from './sql/exchange-codes.js';
import { housekeepingQueries } from './sql/housekeeping.js';
import { oauthQueries } from './sql/oauth.js';
import { otpQueries } from './sql/otp-codes.js';
import { passkeyQueries } from './sql/passkeys.js';
import { pushedAuthorizationQueries } from './sql/pushed-authorization-requests.js';
import { revokedAccessTokenQueries } from './sql/revoked-access-tokens.js';
import { sessionQueries } from './sql/sessions.js';
import { signingKeyQueries } from './sql/signing-keys.js';
import { tenantQueries } from './sql/tenants.js';
import { clientRegistrationQueries } from './sql/client-registration.js';
import { totpQueries } from './sql/totp.js';
import type { Store } from './store.js';

export interface SqlStore extends Store {
  readonly engine: Engine;
}

/**
 * Opens the store a database URL names — SQLite or PostgreSQL, one implementation — and, unless
 * told not to, applies pending migrations first (SPEC §8: migrations run at start).
 */
export async function openStore(
  databaseUrl: string,
  options: {
    migrate?: boolean;
    poolSize?: number;
    /** PostgreSQL: named prepared statements for the hot queries (default true; pg-named-statements.ts). */
    namedStatements?: boolean;
    /** SQLite on a file: checkpoint its WAL from a worker thread (a long-running server; sqlite-checkpointer.ts). */
    backgroundCheckpoints?: { intervalMs: number; onError: (message: string) => void };
    /** PostgreSQL: told when an idle pooled connection fails (the pool replaces it). */
    onIdleClientError?: (message: string) => void;
    /** Test only: called where a redemption has consumed its credential, inside its transaction (fault-point.ts). */
    afterConsume?: AfterConsume;
  } = {},
): Promise<SqlStore> {
  const { db, engine, sqlitePath, sqlite } = openDatabase(databaseUrl, options);
  if (options.migrate !== false) {
    try {
      await migrateToLatest(db, engine);
    } catch (error) {
      await db.destroy();
      throw error;
    }
  }
  const afterConsume = options.afterConsume ?? noFault;
  const hotWrites = sqlite ? { sqlite, batch: sqliteWriteBatch(sqlite, db) } : undefined;
  const checkpointer = sqlitePath && options.backgroundCheckpoints ? startCheckpointer(sqlitePath, options.backgroundCheckpoints) : undefined;
  return {
    engine,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await checkpointer?.stop();
      await db.destroy();
    },
    ...tenantQueries(db),
    ...clientRegistrationQueries(db),
    ...consumerQueries(db),
    ...exchangeCodeQueries(db, afterConsume, hotWrites),
    ...sessionQueries(db, hotWrites),
    ...revokedAccessTokenQueries(db),
    ...signingKeyQueries(db),
    ...otpQueries(db, afterConsume),
    ...oauthQueries(db, afterConsume, hotWrites),
    ...deliveryQueries(db),
    ...housekeepingQueries(db),
    ...auditQueries(db),
    ...adminTokenQueries(db),
    ...adminListQueries(db),
    ...consumerAdminQueries(db),
    ...erasureQueries(db),
    ...passkeyQueries(db, afterConsume),
    ...totpQueries(db),
    ...pushedAuthorizationQueries(db),
    ...dpopProofQueries(db),
  };
}
