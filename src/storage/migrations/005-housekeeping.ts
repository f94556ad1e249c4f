import type { Kysely } from 'kysely';

// Leases let one instance at a time run periodic work (housekeeping) without engine-specific locks.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('refresh_tokens_expires').on('refresh_tokens').column('expires_at').execute();
  await db.schema.createIndex('authorization_requests_expires').on('authorization_requests').column('expires_at').execute();
  await db.schema.createIndex('dev_outbox_created').on('dev_outbox').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('dev_outbox_created').execute();
  await db.schema.dropIndex('authorization_requests_expires').execute();
  await db.schema.dropIndex('refresh_tokens_expires').execute();
  await db.schema.dropTable('leases').execute();
}
