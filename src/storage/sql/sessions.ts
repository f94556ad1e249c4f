import type { Kysely } from 'kysely';
import { prepareQuery, rowInserter, type Placeholder } from '../prepared.js';
import type { Database } from '../schema.js';
import type { Session, Store } from '../store.js';
import { toRefreshToken, toSession } from './rows.js';
import type { HotWrites } from '../sqlite-write-batch.js';
import { refreshRotation } from './refresh-rotation.js';
import { revokeSessionsWhere, sessionRow } from './session-rows.js';
import { signInStatements, writeSignIn } from './sign-in-writes.js';

type SessionMethods = Pick<Store, 'startSession' | 'getSession' | 'revokeSession' | 'endBrowserSession' | 'revokeBrowserSessionFamilies' | 'revokeConsumerSessions' | 'consumerHasSessions' | 'rotateRefreshToken' | 'findRefreshToken'>;

/** Sessions and their refresh-token families (SPEC §4). */
export function sessionQueries(db: Kysely<Database>, hotWrites?: HotWrites): SessionMethods {
  // Every sign-in, refresh and authenticated request runs these (prepared.ts).
  const insertRow = rowInserter(db);
  const signInWrites = signInStatements(db);
  const sessionById = prepareQuery(db, (db, $: Placeholder<{ id: string }>) => db.selectFrom('sessions').selectAll().where('id', '=', $('id')));
  const refreshTokenByHash = prepareQuery(db, (db, $: Placeholder<{ tokenHash: string }>) =>
    db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', $('tokenHash')),
  );
  return {
    async startSession(session, firstRefreshToken, auditEvents = []) {
      // One row needs no transaction (client_credentials families).
      if (!firstRefreshToken && auditEvents.length === 0) {
        await insertRow('sessions', sessionRow(session));
        return;
      }
      await db.transaction().execute((trx) => writeSignIn(trx, signInWrites, { session: { session, firstRefreshToken }, auditEvents }, session.createdAt));
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

    rotateRefreshToken: refreshRotation(db, hotWrites),

    async findRefreshToken(tokenHash) {
      const row = await refreshTokenByHash.first({ tokenHash });
      return row && toRefreshToken(row);
    },
  };
}
