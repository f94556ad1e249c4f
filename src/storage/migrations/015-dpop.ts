import type { Kysely } from 'kysely';

// SPEC §13 DPoP (RFC 9449; issue 19).
//
// - dpop_proofs: the `jti` of every DPoP proof accepted, as SHA-256 of `<jkt>.<jti>` (a jti is the
//   key holder's to choose, so it is unique per key only), kept until the proof could no longer be
//   accepted anyway (`expires_at`, from its `iat`). RFC 9449 §11.1: a proof is used once; one
//   conditional insert (primary-key conflict) decides it across every instance on the store.
// - sessions.dpop_jkt: the JWK SHA-256 thumbprint (RFC 7638) a token family is bound to (RFC 9449
//   §5: refresh tokens of public clients; consumer sessions); its refresh needs a proof by that key
//   and its access tokens carry `cnf.jkt`. Null: not bound.
// - applications.require_dpop: the application's token requests must carry a DPoP proof
//   (RFC 9449 §5, `dpop_bound_access_tokens` of RFC 9449 §5.2 as a stored setting).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('dpop_proofs')
    .addColumn('jti_hash', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('dpop_proofs_expiry').on('dpop_proofs').column('expires_at').execute();
  await db.schema.alterTable('sessions').addColumn('dpop_jkt', 'text').execute();
  await db.schema
    .alterTable('applications')
    .addColumn('require_dpop', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('applications').dropColumn('require_dpop').execute();
  await db.schema.alterTable('sessions').dropColumn('dpop_jkt').execute();
  await db.schema.dropIndex('dpop_proofs_expiry').execute();
  await db.schema.dropTable('dpop_proofs').execute();
}
