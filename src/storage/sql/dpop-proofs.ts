import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';

/** RFC 9449 §11.1: the DPoP proofs seen, so that each is accepted once on every instance; §5: binding a family to a key. */
export function dpopProofQueries(db: Kysely<Database>): Pick<Store, 'recordDpopProof' | 'bindSessionToDpopKey'> {
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

    async bindSessionToDpopKey(sessionId, jkt) {
      // One conditional statement: of concurrent binders exactly one updates the row; a bound family keeps its key.
      const result = await db.updateTable('sessions').set({ dpop_jkt: jkt }).where('id', '=', sessionId).where('dpop_jkt', 'is', null).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
