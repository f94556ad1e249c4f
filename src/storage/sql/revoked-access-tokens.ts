import type { Kysely } from 'kysely';
import { prepareQuery, type Placeholder } from '../prepared.js';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';

type RevokedAccessTokenMethods = Pick<Store, 'revokeAccessToken' | 'isAccessTokenRevoked'>;

/** The revocation list of access tokens that have no session row (client_credentials). */
export function revokedAccessTokenQueries(db: Kysely<Database>): RevokedAccessTokenMethods {
  const isRevoked = prepareQuery(db, (db, $: Placeholder<{ jti: string }>) => db.selectFrom('revoked_access_tokens').select('jti').where('jti', '=', $('jti')));
  return {
    async revokeAccessToken(token, now) {
      const rows = await db
        .insertInto('revoked_access_tokens')
        .values({ jti: token.jti, application_id: token.applicationId, expires_at: token.expiresAt, revoked_at: now })
        .onConflict((oc) => oc.column('jti').doNothing())
        .returning('jti')
        .execute();
      return rows.length > 0;
    },

    async isAccessTokenRevoked(jti) {
      return (await isRevoked.first({ jti })) !== undefined;
    },
  };
}
