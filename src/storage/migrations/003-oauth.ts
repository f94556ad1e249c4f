import type { Kysely } from 'kysely';

// OAuth 2.0 (SPEC §6): user passwords and second factor, session kinds (consumer sessions, login
// tokens, OAuth token families), authorization requests (step 1), grants, authorization codes.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('consumers').addColumn('password_hash', 'text').execute();
  await db.schema.alterTable('consumers').addColumn('second_factor', 'text').execute();

  await db.schema.alterTable('sessions').addColumn('kind', 'text', (c) => c.notNull().defaultTo('consumer')).execute();
  await db.schema.alterTable('sessions').addColumn('grant_id', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('scope', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('code_hash', 'text').execute();
  await db.schema.createIndex('sessions_code_hash').on('sessions').column('code_hash').execute();
  await db.schema.createIndex('sessions_grant').on('sessions').column('grant_id').execute();

  await db.schema
    .createTable('authorization_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('application_id', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('code_challenge', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();

  await db.schema
    .createTable('grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('application_id', 'text', (c) => c.notNull())
    .addColumn('consumer_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addUniqueConstraint('grants_application_consumer', ['application_id', 'consumer_id'])
    .execute();

  await db.schema
    .createTable('authorization_codes')
    .addColumn('code_hash', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('application_id', 'text', (c) => c.notNull())
    .addColumn('consumer_id', 'text', (c) => c.notNull())
    .addColumn('grant_id', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('code_challenge', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text')
    .addColumn('auth_time', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();
  await db.schema.createIndex('authorization_codes_expires').on('authorization_codes').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('authorization_codes').execute();
  await db.schema.dropTable('grants').execute();
  await db.schema.dropTable('authorization_requests').execute();
  await db.schema.dropIndex('sessions_grant').execute();
  await db.schema.dropIndex('sessions_code_hash').execute();
  for (const column of ['code_hash', 'scope', 'grant_id', 'kind']) await db.schema.alterTable('sessions').dropColumn(column).execute();
  for (const column of ['second_factor', 'password_hash']) await db.schema.alterTable('consumers').dropColumn(column).execute();
}
