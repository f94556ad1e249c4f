import type { Kysely } from 'kysely';
import { prepareQuery, rowInserter, type Placeholder } from '../prepared.js';
import type { Database } from '../schema.js';
import type { Session, Store } from '../store.js';
import { toRefreshToken, toSession } from './rows.js';
import { refreshTokenRow, revokeSessionsWhere, sessionRow } from './session-rows.js';
import { writeSignIn } from './sign-in-writes.js';

type SessionMethods = Pick<Store, 'startSession' | 'getSession' | 'revokeSession' | 'endBrowserSession' | 'revokeBrowserSessionFamilies' | 'revokeConsumerSessions' | 'consumerHasSessions' | 'rotateRefreshToken' | 'findRefreshToken'>;

/** Sessions and their refresh-token families (SPEC §4). */
export function sessionQueries(db: Kysely<Database>): SessionMethods {
  // Every sign-in, refresh and authenticated request runs these (prepared.ts).
  const insertRow = rowInserter(db);
  const sessionById = prepareQuery(db, (db, $: Placeholder<{ id: string }>) => db.selectFrom('sessions').selectAll().where('id', '=', $('id')));
  const refreshTokenByHash = prepareQuery(db, (db, $: Placeholder<{ tokenHash: string }>) =>
    db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', $('tokenHash')),
  );
  // SPEC §4: one conditional UPDATE decides the single winner of a rotation. The session check sits
  // in the same statement so a token of a revoked session can never rotate.
  const rotate = prepareQuery(db, (db, $: Placeholder<{ tokenHash: string; applicationId: string; kind: Session['kind']; now: number }>) =>
    db
      .updateTable('refresh_tokens')
      .set({ rotated_at: $('now') })
      .where('token_hash', '=', $('tokenHash'))
      .where('rotated_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', $('now'))
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('sessions')
            .select('sessions.id')
            .whereRef('sessions.id', '=', 'refresh_tokens.session_id')
            .where('sessions.revoked_at', 'is', null)
            .where('sessions.application_id', '=', $('applicationId'))
            .where('sessions.kind', '=', $('kind')),
        ),
      )
      .returningAll(),
  );

  return {
    async startSession(session, firstRefreshToken, auditEvents = []) {
      // One row needs no transaction (client_credentials families).
      if (!firstRefreshToken && auditEvents.length === 0) {
        await insertRow('sessions', sessionRow(session));
        return;
      }
      await db.transaction().execute((trx) => writeSignIn(trx, insertRow, { session: { session, firstRefreshToken }, auditEvents }, session.createdAt));
    },

    async getSession(id) {
      const row = await sessionById.first({ id });
      return row && toSession(row);
    },

    async revokeSession(sessionId, now) {
      return (await db.transaction().execute((trx) => revokeSessionsWhere(trx, { id: sessionId }, now))) > 0;
    },

    async revokeBrowserSessionFamilies(browserSessionId, applicationId, consumerId, now) {
      return db.transaction().execute((trx) => revokeSessionsWhere(trx, { browserSessionId, applicationId, consumerId, kind: 'oauth' }, now));
    },

    async endBrowserSession(browserSessionId, applicationId, now) {
      return db.transaction().execute(async (trx) => {
        const loginSessions = await revokeSessionsWhere(trx, { id: browserSessionId, kind: 'login' }, now);
        // Only the families of the application that asked (SPEC §9: "the sessions it started for that
        // application"); a sign-in shared by single sign-on keeps serving the others' tokens.
        const familiesRevoked = applicationId === null ? 0 : await revokeSessionsWhere(trx, { browserSessionId, applicationId, kind: 'oauth' }, now);
        return { loginSessionRevoked: loginSessions > 0, familiesRevoked };
      });
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
        const row = await rotate.first({ tokenHash, applicationId, kind, now }, trx);
        if (!row) return undefined;
        await insertRow('refresh_tokens', refreshTokenRow({ ...successor, sessionId: row.session_id, createdAt: now, rotatedAt: null, revokedAt: null }), trx);
        return toRefreshToken(row);
      });
    },

    async findRefreshToken(tokenHash) {
      const row = await refreshTokenByHash.first({ tokenHash });
      return row && toRefreshToken(row);
    },
  };
}
