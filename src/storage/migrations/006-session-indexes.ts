import type { Kysely } from 'kysely';

// Housekeeping selects sessions by age and revocation; without these each batch scans the table.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('sessions_created').on('sessions').column('created_at').execute();
  await db.schema.createIndex('sessions_revoked').on('sessions').column('revoked_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_revoked').execute();
  await db.schema.dropIndex('sessions_created').execute();
}
