import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { toSigningKey } from './rows.js';

type SigningKeyMethods = Pick<Store, 'insertSigningKey' | 'listPublishedSigningKeys' | 'retireSigningKeys'>;

/** Signing keys (Ed25519, and RSA for ID tokens); private halves arrive already sealed by crypto/key-encryption. */
export function signingKeyQueries(db: Kysely<Database>): SigningKeyMethods {
  return {
    async insertSigningKey(key) {
      await db
        .insertInto('signing_keys')
        .values({
          kid: key.kid,
          algorithm: key.algorithm,
          public_jwk: JSON.stringify(key.publicJwk),
          private_key_sealed: key.privateKeySealed,
          created_at: key.createdAt,
          activates_at: key.activatesAt,
          retires_at: key.retiresAt,
        })
        .execute();
    },

    async listPublishedSigningKeys(now) {
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .where((eb) => eb.or([eb('retires_at', 'is', null), eb('retires_at', '>', now)]))
        .orderBy('activates_at', 'desc')
        .orderBy('kid', 'desc')
        .execute();
      return rows.map(toSigningKey);
    },

    async retireSigningKeys(algorithm, exceptKid, retiresAt) {
      await db
        .updateTable('signing_keys')
        .set({ retires_at: retiresAt })
        .where('algorithm', '=', algorithm)
        .where('kid', '!=', exceptKid)
        .where('retires_at', 'is', null)
        .execute();
    },
  };
}
