import type { Kysely } from 'kysely';

// SPEC §12 (issue 18): TOTP (RFC 6238) as a second factor, and its recovery codes.
//
// - consumers.totp_enabled_at: when the person's TOTP enrollment was confirmed (null: no TOTP). A
//   copy of totp_factors.confirmed_at on the consumer's own row, written in the same transaction, so
//   every sign-in path decides "is a second factor needed?" from the consumer it already read.
// - totp_factors: one per consumer. `secret_sealed` is the RFC 6238 shared secret sealed with
//   AES-256-GCM under a key derived from LATCHKEY_SECRET (purpose `totp-secret/v1`), bound to the
//   consumer id as associated data: never stored in clear. `confirmed_at` null: an enrollment that
//   waits for its first code. `last_used_step`: the RFC 6238 time step (T) of the last code accepted;
//   a code of that step or an earlier one is refused (RFC 6238 §5.2: no second use of an OTP),
//   through one conditional UPDATE.
// - recovery_codes: ten per confirmed TOTP enrollment, stored as HMAC-SHA256 under a server key
//   (purpose `recovery-code/v1`) bound to the consumer; used once each through one conditional
//   UPDATE … WHERE consumed_at IS NULL.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('consumers').addColumn('totp_enabled_at', 'bigint').execute();
  await db.schema
    .createTable('totp_factors')
    .addColumn('consumer_id', 'text', (c) => c.primaryKey().references('consumers.id'))
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('confirmed_at', 'bigint')
    .addColumn('last_used_step', 'bigint')
    .execute();
  await db.schema
    .createTable('recovery_codes')
    .addColumn('consumer_id', 'text', (c) => c.notNull().references('consumers.id'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .addPrimaryKeyConstraint('recovery_codes_pk', ['consumer_id', 'code_hash'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('recovery_codes').execute();
  await db.schema.dropTable('totp_factors').execute();
  await db.schema.alterTable('consumers').dropColumn('totp_enabled_at').execute();
}
