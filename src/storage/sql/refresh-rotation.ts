import { sql, type Kysely, type QueryCreator } from 'kysely';
import { prepareQuery, sqliteRowInserter, sqliteStatement, type Placeholder } from '../prepared.js';
import type { Database } from '../schema.js';
import type { HotWrites } from '../sqlite-write-batch.js';
import type { Session, Store } from '../store.js';
import { toRefreshToken, toSession } from './rows.js';
import { refreshTokenRow } from './session-rows.js';

type RotateParams = { tokenHash: string; applicationId: string; kind: Session['kind']; now: number };
type SuccessorParams = RotateParams & { successorHash: string; successorExpiresAt: number };

/**
 * SPEC §4: one conditional UPDATE decides the single winner of a rotation. The session check sits in
 * the same statement so a token of a revoked session can never rotate.
 */
function rotatePresented(db: QueryCreator<Database>, $: Placeholder<RotateParams>) {
  return db
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
    );
}

/**
 * `Store.rotateRefreshToken`: rotates the presented token, writes its successor in the same
 * transaction and returns the family's session with it — on each engine in the fewest steps it
 * allows (docs/benchmarks.md): one group-committed batch on SQLite, one statement on PostgreSQL.
 */
export function refreshRotation(db: Kysely<Database>, hotWrites: HotWrites | undefined): Store['rotateRefreshToken'] {
  return hotWrites ? sqliteRotation(db, hotWrites) : postgresRotation(db);
}

/**
 * SQLite: the rotation, the successor and the session read run synchronously in the next group
 * commit (sqlite-write-batch.ts): no interleaving, so the session read is the state the UPDATE's
 * EXISTS just saw, and one COMMIT serves every rotation of the batch.
 */
function sqliteRotation(db: Kysely<Database>, { sqlite, batch }: HotWrites): Store['rotateRefreshToken'] {
  const rotate = sqliteStatement(sqlite, prepareQuery(db, (db, $: Placeholder<RotateParams>) => rotatePresented(db, $).returningAll()));
  const insertRow = sqliteRowInserter(db, sqlite);
  const sessionById = sqliteStatement(sqlite, prepareQuery(db, (db, $: Placeholder<{ id: string }>) => db.selectFrom('sessions').selectAll().where('id', '=', $('id'))));
  return (tokenHash, applicationId, kind, successor, now) =>
    batch.run(() => {
      const row = rotate.first({ tokenHash, applicationId, kind, now });
      if (!row) return undefined;
      insertRow('refresh_tokens', refreshTokenRow({ ...successor, sessionId: row.session_id, createdAt: now, rotatedAt: null, revokedAt: null }));
      const session = sessionById.first({ id: row.session_id });
      return session && { token: toRefreshToken(row), session: toSession(session) };
    });
}

/**
 * PostgreSQL: one statement — the UPDATE and the successor's INSERT as data-modifying CTEs, the
 * session joined in the same round trip — instead of BEGIN, UPDATE, INSERT, COMMIT and a read. Under
 * READ COMMITTED a concurrent rotation of the same token waits for the row lock and then finds
 * `rotated_at` set, so exactly one caller wins, as with the transaction.
 */
function postgresRotation(db: Kysely<Database>): Store['rotateRefreshToken'] {
  const rotate = prepareQuery(db, (db, $: Placeholder<SuccessorParams>) =>
    db
      .with('rotated', (db) => rotatePresented(db, $).returningAll())
      .with('successor', (db) =>
        db
          .insertInto('refresh_tokens')
          .columns(['token_hash', 'session_id', 'created_at', 'expires_at'])
          .expression((eb) =>
            eb
              .selectFrom('rotated')
              // Parameters in a SELECT list have no type for PostgreSQL to infer: cast them.
              .select([sql<string>`cast(${$('successorHash')} as text)`.as('token_hash'), 'rotated.session_id', sql<number>`cast(${$('now')} as bigint)`.as('created_at'), sql<number>`cast(${$('successorExpiresAt')} as bigint)`.as('expires_at')]),
          ),
      )
      .selectFrom('rotated')
      .innerJoin('sessions', 'sessions.id', 'rotated.session_id')
      .selectAll('sessions')
      .select([
        'rotated.token_hash as rt_token_hash', 'rotated.created_at as rt_created_at', 'rotated.expires_at as rt_expires_at',
        'rotated.rotated_at as rt_rotated_at', 'rotated.revoked_at as rt_revoked_at',
      ]),
  );
  return async (tokenHash, applicationId, kind, successor, now) => {
    const row = await rotate.first({ tokenHash, applicationId, kind, now, successorHash: successor.tokenHash, successorExpiresAt: successor.expiresAt });
    if (!row) return undefined;
    const token = toRefreshToken({
      token_hash: row.rt_token_hash, session_id: row.id, created_at: row.rt_created_at,
      expires_at: row.rt_expires_at, rotated_at: row.rt_rotated_at, revoked_at: row.rt_revoked_at,
    });
    return { token, session: toSession(row) };
  };
}
