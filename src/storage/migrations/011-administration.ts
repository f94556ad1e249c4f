import { PostgresAdapter, sql, type Kysely } from 'kysely';

// SPEC §10 (administration, issue 17).
//
// - admin_tokens: the `lka_…` tokens of the admin API. Only the SHA-256 of the secret is kept (like
//   every opaque secret, SPEC §4), unique, so a presented token is found by one indexed lookup.
//   `organization_id` null means every organization; `read_only` 1 refuses every change.
// - applications.disabled_at, consumers.disabled_at: set when an operator disables one (null: enabled).
// - audit_events.actor_id and consumer_id: the admin token that made a change (data.actor.id) and
//   the consumer an event is about (data.consumerId), copied out of the JSON so the admin API can
//   filter on them with an index on both engines. Existing events are filled in here.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('admin_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('organization_id', 'text', (c) => c.references('organizations.id'))
    .addColumn('read_only', 'integer', (c) => c.notNull().defaultTo(0).check(sql`read_only in (0, 1)`))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex('admin_tokens_organization').on('admin_tokens').columns(['organization_id', 'id']).execute();

  await db.schema.alterTable('applications').addColumn('disabled_at', 'bigint').execute();
  await db.schema.alterTable('consumers').addColumn('disabled_at', 'bigint').execute();

  await db.schema.alterTable('audit_events').addColumn('actor_id', 'text').execute();
  await db.schema.alterTable('audit_events').addColumn('consumer_id', 'text').execute();
  const consumerIdOfData = db.getExecutor().adapter instanceof PostgresAdapter ? sql`(data::jsonb ->> 'consumerId')` : sql`json_extract(data, '$.consumerId')`;
  await db.updateTable('audit_events').set({ consumer_id: consumerIdOfData }).where('data', 'like', '%"consumerId"%').execute();
  // The admin API pages an organization's events by id (time-ordered), optionally of one type,
  // actor or consumer.
  await db.schema.createIndex('audit_events_organization').on('audit_events').columns(['organization_id', 'id']).execute();
  await db.schema.createIndex('audit_events_type').on('audit_events').columns(['type', 'id']).execute();
  await db.schema.createIndex('audit_events_actor').on('audit_events').columns(['actor_id', 'id']).where('actor_id', 'is not', null).execute();
  await db.schema.createIndex('audit_events_consumer').on('audit_events').columns(['consumer_id', 'id']).where('consumer_id', 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of ['audit_events_consumer', 'audit_events_actor', 'audit_events_type', 'audit_events_organization']) {
    await db.schema.dropIndex(index).execute();
  }
  await db.schema.alterTable('audit_events').dropColumn('consumer_id').execute();
  await db.schema.alterTable('audit_events').dropColumn('actor_id').execute();
  await db.schema.alterTable('consumers').dropColumn('disabled_at').execute();
  await db.schema.alterTable('applications').dropColumn('disabled_at').execute();
  await db.schema.dropTable('admin_tokens').execute();
}
