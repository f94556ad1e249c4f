import { sql, type Kysely } from 'kysely';

// SPEC §13, issue 19: clients nobody registered by hand.
//
// - organizations.client_id_metadata_documents / dynamic_client_registration: `off` (the default),
//   or the environment (`test` / `live`, SPEC §1) in which such clients of the organization live.
//   One value says both "on" and where the clients' users are.
// - organizations.registration_token_hash: the SHA-256 of the organization's initial access token
//   for Dynamic Client Registration (RFC 7591 §3), or null when registration is open.
// - applications.registration: how the application came to exist — `manual` (CLI or admin API),
//   `metadata_document` (its client_id is the URL of a Client ID Metadata Document) or `dynamic`
//   (RFC 7591). The hosted consent page shows the last two as unverified.
export async function up(db: Kysely<any>): Promise<void> {
  for (const column of ['client_id_metadata_documents', 'dynamic_client_registration']) {
    await db.schema
      .alterTable('organizations')
      .addColumn(column, 'text', (c) => c.notNull().defaultTo('off').check(sql`${sql.ref(column)} in ('off', 'test', 'live')`))
      .execute();
  }
  await db.schema.alterTable('organizations').addColumn('registration_token_hash', 'text').execute();
  await db.schema
    .alterTable('applications')
    .addColumn('registration', 'text', (c) => c.notNull().defaultTo('manual').check(sql`registration in ('manual', 'metadata_document', 'dynamic')`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('applications').dropColumn('registration').execute();
  await db.schema.alterTable('organizations').dropColumn('registration_token_hash').execute();
  await db.schema.alterTable('organizations').dropColumn('dynamic_client_registration').execute();
  await db.schema.alterTable('organizations').dropColumn('client_id_metadata_documents').execute();
}
