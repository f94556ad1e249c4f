import { sql, type Kysely } from 'kysely';

// SPEC §12 passkeys (WebAuthn Level 3, through @simplewebauthn/server; issue 18).
//
// - passkeys: one registered public-key credential of a consumer. `credential_id` is the
//   authenticator's credential id, base64url, unique (WebAuthn L3 §7.1 step 26: a credential id is
//   registered at most once). `public_key` is the COSE key, base64url. `sign_count` is the last
//   signature counter seen (§6.1.1; 0 for authenticators that keep none); `transports` a JSON list of
//   the hints the browser gave; `backup_eligible` / `backed_up` the BE / BS flags (§6.1) and
//   `device_type` what they mean (`singleDevice` / `multiDevice`). `organization_id` is the
//   consumer's (kept beside it for admin lists and erasure).
// - webauthn_challenges: the challenge of one ceremony, single use and short-lived (5 min), stored
//   as its SHA-256 (like every one-time value, SPEC §4) and consumed with one conditional UPDATE
//   (`consumed_at IS NULL`). Bound to the application that asked for it and to its purpose:
//   `registration` (for `consumer_id`) or `authentication` (no consumer: discoverable credentials).
// - applications.passkey_origins: the origins besides the issuer's own that may run a ceremony for
//   the application through the APIs (WebAuthn L3 §7.1 step 9, §7.2 step 13), a JSON list.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('passkeys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('consumer_id', 'text', (c) => c.notNull().references('consumers.id'))
    .addColumn('credential_id', 'text', (c) => c.notNull().unique())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('sign_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('transports', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('backup_eligible', 'integer', (c) => c.notNull().check(sql`backup_eligible in (0, 1)`))
    .addColumn('backed_up', 'integer', (c) => c.notNull().check(sql`backed_up in (0, 1)`))
    .addColumn('device_type', 'text', (c) => c.notNull().check(sql`device_type in ('singleDevice', 'multiDevice')`))
    .addColumn('aaguid', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex('passkeys_consumer').on('passkeys').columns(['consumer_id', 'id']).execute();

  await db.schema
    .createTable('webauthn_challenges')
    .addColumn('challenge_hash', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id'))
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('registration', 'authentication')`))
    .addColumn('consumer_id', 'text', (c) => c.references('consumers.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();
  await db.schema.createIndex('webauthn_challenges_expiry').on('webauthn_challenges').column('expires_at').execute();
  await db.schema.createIndex('webauthn_challenges_consumer').on('webauthn_challenges').column('consumer_id').where('consumer_id', 'is not', null).execute();

  await db.schema.alterTable('applications').addColumn('passkey_origins', 'text', (c) => c.notNull().defaultTo('[]')).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('applications').dropColumn('passkey_origins').execute();
  await db.schema.dropIndex('webauthn_challenges_consumer').execute();
  await db.schema.dropIndex('webauthn_challenges_expiry').execute();
  await db.schema.dropTable('webauthn_challenges').execute();
  await db.schema.dropIndex('passkeys_consumer').execute();
  await db.schema.dropTable('passkeys').execute();
}
