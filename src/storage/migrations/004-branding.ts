import type { Kysely } from 'kysely';

// Hosted pages (SPEC §7): per-application accent colour and first-party flag (consent skipped by
// configuration), per-organization display name, logo and accent colour.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('applications').addColumn('accent_color', 'text').execute();
  await db.schema.alterTable('applications').addColumn('is_first_party', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('organizations').addColumn('display_name', 'text').execute();
  await db.schema.alterTable('organizations').addColumn('logo_url', 'text').execute();
  await db.schema.alterTable('organizations').addColumn('accent_color', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['accent_color', 'logo_url', 'display_name']) await db.schema.alterTable('organizations').dropColumn(column).execute();
  for (const column of ['is_first_party', 'accent_color']) await db.schema.alterTable('applications').dropColumn(column).execute();
}
