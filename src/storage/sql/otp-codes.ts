import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { toOtpCode } from './rows.js';

type OtpMethods = Pick<Store, 'replaceOtpCode' | 'discardOtpCode' | 'attemptOtpCode'>;

/**
 * One-time passcodes (SPEC §5.4): at most one pending code per organization, environment and
 * destination — a code asked for through a test key is neither visible to nor replaced by live (SPEC §1).
 */
export function otpQueries(db: Kysely<Database>): OtpMethods {
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

    async attemptOtpCode(pool, destination, codeHash, maxAttempts, now) {
      // SPEC §5.4: count the attempt and consume on a match in the same statement, so that exactly
      // one caller verifies and the attempt that reaches the limit burns the code.
      const row = await db
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
      if (row.consumed_at !== null) return { outcome: 'verified', code: toOtpCode(row) };
      return { outcome: 'wrong', attemptsLeft: maxAttempts - row.attempts };
    },
  };
}
