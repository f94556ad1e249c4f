import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';

type HousekeepingMethods = Pick<Store, 'acquireLease' | 'purgeExpired'>;

/** Leases for one-instance-at-a-time work, and bounded deletion of rows nothing needs any more. */
export function housekeepingQueries(db: Kysely<Database>): HousekeepingMethods {
  return {
    async acquireLease(name, holder, now, expiresAt) {
      const row = await db
        .insertInto('leases')
        .values({ name, holder, expires_at: expiresAt })
        .onConflict((oc) =>
          oc
            .column('name')
            .doUpdateSet({ holder: (eb) => eb.ref('excluded.holder'), expires_at: (eb) => eb.ref('excluded.expires_at') })
            .where((eb) => eb.or([eb('leases.expires_at', '<=', now), eb('leases.holder', '=', holder)])),
        )
        .returning('name')
        .executeTakeFirst();
      return row !== undefined;
    },

    async purgeExpired(artefact, cutoffs, batchSize) {
      // Each batch is one DELETE of at most batchSize rows chosen by primary key, so no statement
      // holds locks for long and a backlog drains over several runs.
      // The condition is repeated outside the subquery: on PostgreSQL a row replaced under the same key
      // while the DELETE waits (a new OTP code for the address) is re-checked against it, not deleted.
      const batch = (table: string, key: string, where: ReturnType<typeof sql>) =>
        sql`delete from ${sql.table(table)} where ${sql.ref(key)} in (select ${sql.ref(key)} from ${sql.table(table)} where ${where} limit ${batchSize}) and (${where})`;
      let statement;
      switch (artefact) {
        case 'exchange_codes':
          statement = batch(artefact, 'code_hash', sql`expires_at < ${cutoffs.expiredBefore}`);
          break;
        case 'authorization_requests':
          statement = batch(artefact, 'id', sql`expires_at < ${cutoffs.expiredBefore}`);
          break;
        case 'otp_codes':
          // A composite key: compare the pair (row values work on both engines).
          statement = sql`delete from otp_codes where (organization_id, destination) in (select organization_id, destination from otp_codes where expires_at < ${cutoffs.expiredBefore} limit ${batchSize}) and expires_at < ${cutoffs.expiredBefore}`;
          break;
        case 'authorization_codes':
          statement = batch(artefact, 'code_hash', sql`expires_at < ${cutoffs.codesExpiredBefore}`);
          break;
        case 'refresh_tokens':
          // A rotated token is kept until its own expiry: until then a replay must still be caught.
          statement = batch(artefact, 'token_hash', sql`expires_at < ${cutoffs.expiredBefore}`);
          break;
        case 'sessions':
          statement = batch(
            artefact,
            'id',
            sql`(revoked_at is not null and revoked_at < ${cutoffs.sessionsBefore})
              or (created_at < ${cutoffs.sessionsBefore}
                  and not exists (select 1 from refresh_tokens r where r.session_id = sessions.id))`,
          );
          break;
        case 'revoked_access_tokens':
          // Past its own expiry the token is refused anyway; the entry is no longer needed.
          statement = batch(artefact, 'jti', sql`expires_at < ${cutoffs.expiredBefore}`);
          break;
        case 'dpop_proofs':
          // RFC 9449 §11.1: past its expiry the proof's `iat` is refused anyway, so its jti need not be kept.
          statement = batch(artefact, 'jti_hash', sql`expires_at < ${cutoffs.expiredBefore}`);
          break;
        case 'webauthn_challenges':
          statement = batch(artefact, 'challenge_hash', sql`expires_at < ${cutoffs.expiredBefore}`);
          break;
        case 'pushed_authorization_requests':
          statement = batch(artefact, 'request_uri_hash', sql`expires_at < ${cutoffs.expiredBefore}`);
          break;
        case 'dev_outbox':
          statement = batch(artefact, 'id', sql`created_at < ${cutoffs.outboxBefore}`);
          break;
      }
      const result = await statement.execute(db);
      return Number(result.numAffectedRows ?? 0);
    },
  };
}
