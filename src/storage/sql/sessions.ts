import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { RefreshTokenRecord, Store } from '../store.js';
import { toRefreshToken, toSession } from './rows.js';

type SessionMethods = Pick<Store, 'startSession' | 'getSession' | 'revokeSession' | 'revokeConsumerSessions' | 'consumerHasSessions' | 'rotateRefreshToken' | 'findRefreshToken'>;

function refreshTokenRow(token: RefreshTokenRecord) {
  return {
    token_hash: token.tokenHash,
    session_id: token.sessionId,
    created_at: token.createdAt,
    expires_at: token.expiresAt,
    rotated_at: token.rotatedAt,
    revoked_at: token.revokedAt,
  };
}

/** Sessions and their refresh-token families (SPEC §4). */
export function sessionQueries(db: Kysely<Database>): SessionMethods {
  return {
    async startSession(session, firstRefreshToken) {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('sessions')
          .values({
            id: session.id,
            organization_id: session.organizationId,
            application_id: session.applicationId,
            consumer_id: session.consumerId,
            type: session.type,
            kind: session.kind,
            grant_id: session.grantId,
            scope: session.scope,
            code_hash: session.codeHash,
            created_at: session.createdAt,
            revoked_at: session.revokedAt,
          })
          .execute();
        if (firstRefreshToken) await trx.insertInto('refresh_tokens').values(refreshTokenRow(firstRefreshToken)).execute();
      });
    },

    async getSession(id) {
      const row = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toSession(row);
    },

    async revokeSession(sessionId, now) {
      return db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('sessions')
          .set({ revoked_at: now })
          .where('id', '=', sessionId)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        await trx
          .updateTable('refresh_tokens')
          .set({ revoked_at: now })
          .where('session_id', '=', sessionId)
          .where('revoked_at', 'is', null)
          .execute();
        return Number(result.numUpdatedRows) > 0;
      });
    },

    async consumerHasSessions(consumerId) {
      const row = await db.selectFrom('sessions').select('id').where('consumer_id', '=', consumerId).limit(1).executeTakeFirst();
      return row !== undefined;
    },

    async revokeConsumerSessions(consumerId, now) {
      return db.transaction().execute(async (trx) => {
        const revoked = await trx
          .updateTable('sessions')
          .set({ revoked_at: now })
          .where('consumer_id', '=', consumerId)
          .where('revoked_at', 'is', null)
          .returning('id')
          .execute();
        if (revoked.length > 0) {
          await trx
            .updateTable('refresh_tokens')
            .set({ revoked_at: now })
            .where('session_id', 'in', revoked.map((r) => r.id))
            .where('revoked_at', 'is', null)
            .execute();
        }
        return revoked.length;
      });
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
