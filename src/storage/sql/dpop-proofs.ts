import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';

/** RFC 9449 §11.1: the DPoP proofs seen, so that each is accepted once on every instance. */
export function dpopProofQueries(db: Kysely<Database>): Pick<Store, 'recordDpopProof'> {
  return {
    async recordDpopProof(proof, now) {
      // One statement: the insert wins, or the conflict takes over only a row already expired (not yet
      // purged by housekeeping). Concurrent callers with the same jti: exactly one gets a row back.
      const row = await db
        .insertInto('dpop_proofs')
        .values({ jti_hash: proof.jtiHash, expires_at: proof.expiresAt })
        .onConflict((oc) => oc.column('jti_hash').doUpdateSet({ expires_at: (eb) => eb.ref('excluded.expires_at') }).where('dpop_proofs.expires_at', '<=', now))
        .returning('jti_hash')
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}
