import type { Kysely } from 'kysely';

// Guests and one-time passcodes: pending OTP codes (one row per destination, replaced by a new
// request), the development outbox, merge tombstones for absorbed guests, per-organization delivery
// settings (sealed: they hold SMTP passwords and webhook secrets), and the resolution an exchange
// code was minted with (so an exchange can upgrade a guest in place).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('otp_codes')
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('application_id', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('consumed_at', 'bigint')
    .addPrimaryKeyConstraint('otp_codes_pk', ['organization_id', 'destination'])
    .execute();
  await db.schema.createIndex('otp_codes_expires').on('otp_codes').column('expires_at').execute();

  await db.schema
    .createTable('dev_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('dev_outbox_recipient').on('dev_outbox').columns(['organization_id', 'recipient']).execute();

  await db.schema.alterTable('consumers').addColumn('merged_into_id', 'text').execute();
  await db.schema.alterTable('organizations').addColumn('delivery_sealed', 'text').execute();
  await db.schema.alterTable('exchange_codes').addColumn('resolution', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('exchange_codes').dropColumn('resolution').execute();
  await db.schema.alterTable('organizations').dropColumn('delivery_sealed').execute();
  await db.schema.alterTable('consumers').dropColumn('merged_into_id').execute();
  await db.schema.dropTable('dev_outbox').execute();
  await db.schema.dropTable('otp_codes').execute();
}
