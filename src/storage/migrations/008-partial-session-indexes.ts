import type { Kysely } from 'kysely';

// Every new session paid for index entries it never uses: consumer sessions have no code hash, new
// sessions are not revoked, and no query looks sessions up by grant. Partial indexes hold only the
// rows their queries ask for (`code_hash = ?` and `revoked_at < ?` imply IS NOT NULL on both
// engines, so the planners still use them); sessions_grant served no query and goes.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_grant').execute();
  await db.schema.dropIndex('sessions_code_hash').execute();
  await db.schema.dropIndex('sessions_revoked').execute();
  await db.schema.createIndex('sessions_code_hash').on('sessions').column('code_hash').where('code_hash', 'is not', null).execute();
  await db.schema.createIndex('sessions_revoked').on('sessions').column('revoked_at').where('revoked_at', 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_revoked').execute();
  await db.schema.dropIndex('sessions_code_hash').execute();
  await db.schema.createIndex('sessions_revoked').on('sessions').column('revoked_at').execute();
  await db.schema.createIndex('sessions_code_hash').on('sessions').column('code_hash').execute();
  await db.schema.createIndex('sessions_grant').on('sessions').column('grant_id').execute();
}
