import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { toRefreshToken, toSession } from './rows.js';
import { refreshTokenRow, revokeSessionsWhere, sessionRow } from './session-rows.js';

type SessionMethods = Pick<Store, 'startSession' | 'getSession' | 'revokeSession' | 'revokeConsumerSessions' | 'consumerHasSessions' | 'rotateRefreshToken' | 'findRefreshToken'>;

/** Sessions and their refresh-token families (SPEC §4). */
export function sessionQueries(db: Kysely<Database>): SessionMethods {
  return {
    async startSession(session, firstRefreshToken) {
      // One row needs no transaction (login sessions, client_credentials families).
      if (!firstRefreshToken) {
        await db.insertInto('sessions').values(sessionRow(session)).execute();
        return;
      }
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('sessions').values(sessionRow(session)).execute();
        if (firstRefreshToken) await trx.insertInto('refresh_tokens').values(refreshTokenRow(firstRefreshToken)).execute();
      });
    },

    async getSession(id) {
      const row = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toSession(row);
    },

    async revokeSession(sessionId, now) {
      return (await db.transaction().execute((trx) => revokeSessionsWhere(trx, { id: sessionId }, now))) > 0;
    },

    async consumerHasSessions(consumerId) {
      const row = await db.selectFrom('sessions').select('id').where('consumer_id', '=', consumerId).limit(1).executeTakeFirst();
      return row !== undefined;
    },

    async revokeConsumerSessions(consumerId, now) {
      return db.transaction().execute((trx) => revokeSessionsWhere(trx, { consumerId }, now));
    },

    async rotateRefreshToken(tokenHash, applicationId, kind, successor, now) {
      return db.transaction().execute(async (trx) => {
        // SPEC §4: one conditional UPDATE decides the single winner of a rotation. The session check
        // sits in the same statement so a token of a revoked session can never rotate.
        const row = await trx
          .updateTable('refresh_tokens')
          .set({ rotated_at: now })
          .where('token_hash', '=', tokenHash)
          .where('rotated_at', 'is', null)
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', now)
          .where(({ exists, selectFrom }) =>
            exists(
              selectFrom('sessions')
                .select('sessions.id')
                .whereRef('sessions.id', '=', 'refresh_tokens.session_id')
                .where('sessions.revoked_at', 'is', null)
                .where('sessions.application_id', '=', applicationId)
                .where('sessions.kind', '=', kind),
            ),
          )
          .returningAll()
          .executeTakeFirst();
        if (!row) return undefined;
        await trx
          .insertInto('refresh_tokens')
          .values(refreshTokenRow({ ...successor, sessionId: row.session_id, createdAt: now, rotatedAt: null, revokedAt: null }))
          .execute();
        return toRefreshToken(row);
      });
    },

    async findRefreshToken(tokenHash) {
      const row = await db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row && toRefreshToken(row);
    },
  };
}
