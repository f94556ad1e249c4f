import { sql, type Kysely } from 'kysely';

// SPEC §13: pushed authorization requests (RFC 9126) and resource indicators (RFC 8707).
//
// - pushed_authorization_requests: one pushed request, stored by the SHA-256 of its `request_uri`
//   (like every one-time value, SPEC §4), with the validated authorization parameters as JSON. It
//   lives 60 s and is consumed with one conditional UPDATE (`consumed_at IS NULL`) by the client it
//   was pushed by (RFC 9126 §4: single use, bound to the client).
// - applications.require_pushed_authorization_requests: RFC 9126 §6, the application accepts
//   authorization requests only through PAR (0 or 1).
// - applications.resources: RFC 8707, the resource indicators (absolute URIs) the application may
//   ask tokens for, a JSON list.
// - authorization_requests, authorization_codes, sessions: the resources granted (RFC 8707 §2.1),
//   a JSON list, null when none was asked for (the token's audience is then this server, as before).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pushed_authorization_requests')
    .addColumn('request_uri_hash', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id'))
    .addColumn('parameters', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();
  await db.schema.createIndex('pushed_authorization_requests_expiry').on('pushed_authorization_requests').column('expires_at').execute();

  await db.schema
    .alterTable('applications')
    .addColumn('require_pushed_authorization_requests', 'integer', (c) => c.notNull().defaultTo(0).check(sql`require_pushed_authorization_requests in (0, 1)`))
    .execute();
  await db.schema.alterTable('applications').addColumn('resources', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  for (const table of ['authorization_requests', 'authorization_codes', 'sessions']) {
    await db.schema.alterTable(table).addColumn('resources', 'text').execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['sessions', 'authorization_codes', 'authorization_requests']) {
    await db.schema.alterTable(table).dropColumn('resources').execute();
  }
  await db.schema.alterTable('applications').dropColumn('resources').execute();
  await db.schema.alterTable('applications').dropColumn('require_pushed_authorization_requests').execute();
  await db.schema.dropIndex('pushed_authorization_requests_expiry').execute();
  await db.schema.dropTable('pushed_authorization_requests').execute();
}
