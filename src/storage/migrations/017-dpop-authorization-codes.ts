import type { Kysely } from 'kysely';

// RFC 9449 §10 authorization-code binding (SPEC §13, issue 19).
//
// - authorization_requests.dpop_jkt / authorization_codes.dpop_jkt: the JWK SHA-256 thumbprint
//   (RFC 7638) the client named with `dpop_jkt` at the authorization endpoint or PAR, or proved with a
//   DPoP header at PAR (§10.1). The code is redeemed only with a proof by that key. Null: not bound.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('authorization_requests').addColumn('dpop_jkt', 'text').execute();
  await db.schema.alterTable('authorization_codes').addColumn('dpop_jkt', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('authorization_codes').dropColumn('dpop_jkt').execute();
  await db.schema.alterTable('authorization_requests').dropColumn('dpop_jkt').execute();
}
