import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { AfterConsume } from '../fault-point.js';
import type { ExternalIdentity, OtpRedemption, Store, UserPool } from '../store.js';
import { rethrowConflict } from './conflict.js';
import { toConsumer, toOtpCode } from './rows.js';
import { signInStatements, writeSignIn } from './sign-in-writes.js';

/** The consumer of an identity triple in `pool`, read inside the caller's transaction. */
async function findByIdentity(trx: Kysely<Database>, pool: UserPool, identity: ExternalIdentity) {
  const row = await trx
    .selectFrom('identities as i')
    .innerJoin('consumers as c', 'c.id', 'i.consumer_id')
    .selectAll('c')
    .where('i.organization_id', '=', pool.organizationId)
    .where('i.environment', '=', pool.environment)
    .where('i.provider', '=', identity.provider)
    .where('i.issuer', '=', identity.issuer)
    .where('i.subject', '=', identity.subject)
    .executeTakeFirst();
  return row && toConsumer(row);
}

type OtpMethods = Pick<Store, 'replaceOtpCode' | 'discardOtpCode' | 'redeemOtpCode'>;

/**
 * One-time passcodes (SPEC §5.4): at most one pending code per organization, environment and
 * destination — a code asked for through a test key is neither visible to nor replaced by live (SPEC §1).
 */
export function otpQueries(db: Kysely<Database>, afterConsume: AfterConsume): OtpMethods {
  const signInWrites = signInStatements(db);
  return {
    async replaceOtpCode(code, cooldownSeconds) {
      const cooldownStart = code.createdAt - cooldownSeconds * 1000;
      // One conditional upsert: a new code replaces the old one only when the old one is past its
      // resend cooldown, so concurrent requests cannot both send.
      const row = await db
        .insertInto('otp_codes')
        .values({
          organization_id: code.organizationId,
          environment: code.environment,
          destination: code.destination,
          channel: code.channel,
          application_id: code.applicationId,
          code_hash: code.codeHash,
          name: code.name,
          created_at: code.createdAt,
          expires_at: code.expiresAt,
          attempts: 0,
          consumed_at: null,
        })
        .onConflict((oc) =>
          oc
            .columns(['organization_id', 'environment', 'destination'])
            .doUpdateSet({
              channel: (eb) => eb.ref('excluded.channel'),
              application_id: (eb) => eb.ref('excluded.application_id'),
              code_hash: (eb) => eb.ref('excluded.code_hash'),
              name: (eb) => eb.ref('excluded.name'),
              created_at: (eb) => eb.ref('excluded.created_at'),
              expires_at: (eb) => eb.ref('excluded.expires_at'),
              attempts: 0,
              consumed_at: null,
            })
            .where('otp_codes.created_at', '<=', cooldownStart),
        )
        .returning('created_at')
        .executeTakeFirst();
      if (row) return { issued: true };
      const existing = await db
        .selectFrom('otp_codes')
        .select('created_at')
        .where('organization_id', '=', code.organizationId)
        .where('environment', '=', code.environment)
        .where('destination', '=', code.destination)
        .executeTakeFirstOrThrow();
      return { issued: false, cooldownSince: existing.created_at };
    },

    async discardOtpCode(pool, destination, codeHash) {
      await db
        .deleteFrom('otp_codes')
        .where('organization_id', '=', pool.organizationId)
        .where('environment', '=', pool.environment)
        .where('destination', '=', destination)
        .where('code_hash', '=', codeHash)
        .execute();
    },

    async redeemOtpCode(attempt, identity, signIn) {
      const { pool, destination, codeHash, maxAttempts, now } = attempt;
      // Issue 12.1: a right code's consumption and the sign-in it makes commit together, or neither.
      return db.transaction().execute(async (trx): Promise<OtpRedemption> => {
        // SPEC §5.4: count the attempt and consume on a match in the same statement, so that exactly
        // one caller verifies and the attempt that reaches the limit burns the code.
        const row = await trx
          .updateTable('otp_codes')
          .set({
            attempts: sql<number>`attempts + 1`,
            consumed_at: sql<number | null>`case when code_hash = ${codeHash} then cast(${now} as bigint) else null end`,
          })
          .where('organization_id', '=', pool.organizationId)
          .where('environment', '=', pool.environment)
          .where('destination', '=', destination)
          .where('consumed_at', 'is', null)
          .where('expires_at', '>', now)
          .where('attempts', '<', maxAttempts)
          .returningAll()
          .executeTakeFirst();
        if (!row) return { outcome: 'unavailable' };
        if (row.consumed_at === null) return { outcome: 'wrong', attemptsLeft: maxAttempts - row.attempts };
        afterConsume('otp_code');
        const code = toOtpCode(row);
        const owner = identity ? await findByIdentity(trx, pool, identity) : undefined;
        const signedIn = await writeSignIn(trx, signInWrites, signIn({ code, owner }), now);
        return { outcome: 'verified', code, signedIn };
      }).catch(rethrowConflict);
    },
  };
}
