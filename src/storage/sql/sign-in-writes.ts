import { PostgresAdapter, type Kysely } from 'kysely';
import { prepareQuery, rowInserter, sqliteRowInserter, sqliteStatement, type Placeholder, type PreparedQuery } from '../prepared.js';
import type { Database } from '../schema.js';
import type SQLite from 'better-sqlite3';
import { SignInConflict, type Consumer, type SignInWrites } from '../store.js';
import { auditEventRows } from './audit.js';
import type { AuditEvent } from '../store.js';
import { fillEmptyContacts, insertConsumerWithIdentity } from './consumers.js';
import { linkGuestIn } from './guest-links.js';
import { toConsumer } from './rows.js';
import { refreshTokenRow, sessionRow } from './session-rows.js';

/** The prepared statements writeSignIn runs, made once per store (signInStatements). */
export interface SignInStatements {
  insertRow: ReturnType<typeof rowInserter>;
  /** PostgreSQL: the session part in one round trip (postgresSessionStart). */
  startSession?: (trx: Kysely<Database>, session: Required<SignInWrites>['session'], auditEvents: readonly AuditEvent[]) => Promise<void>;
}

export function signInStatements(db: Kysely<Database>): SignInStatements {
  return { insertRow: rowInserter(db), ...(db.getExecutor().adapter instanceof PostgresAdapter ? { startSession: postgresSessionStart(db) } : {}) };
}

/**
 * Writes what a sign-in creates, inside the transaction that consumed its credential (issue 12.1),
 * in SignInWrites' order. A conditional part that loses its race throws SignInConflict, and the
 * caller's transaction rolls back the consumption with it. Returns the session's consumer as stored
 * afterwards when these writes changed it (a guest link or a fill), else undefined.
 */
export async function writeSignIn(trx: Kysely<Database>, statements: SignInStatements, writes: SignInWrites, now: number): Promise<Consumer | undefined> {
  const { insertRow } = statements;
  if (writes.spentTokenId) {
    const { jti, applicationId, expiresAt } = writes.spentTokenId;
    // SPEC §4 single use: one conditional insert of the token id; PostgreSQL makes a concurrent
    // insert of the same id wait for this transaction, so exactly one of them spends it.
    const spent = await trx
      .insertInto('revoked_access_tokens')
      .values({ jti, application_id: applicationId, expires_at: expiresAt, revoked_at: now })
      .onConflict((oc) => oc.column('jti').doNothing())
      .returning('jti')
      .execute();
    if (spent.length === 0) throw new SignInConflict('token_spent');
  }
  if (writes.newConsumer) await insertConsumerWithIdentity(trx, writes.newConsumer.consumer, writes.newConsumer.identityId, writes.newConsumer.identity);
  if (writes.guest) await linkGuestIn(trx, writes.guest, now);
  if (writes.fill) await fillEmptyContacts(trx, writes.fill.consumerId, writes.fill, now);
  if (writes.session && statements.startSession) {
    await statements.startSession(trx, writes.session, writes.auditEvents ?? []);
  } else {
    if (writes.session) {
      await refuseDisabledConsumer(trx, writes.session.session.consumerId);
      await insertRow('sessions', sessionRow(writes.session.session), trx);
      if (writes.session.firstRefreshToken) await insertRow('refresh_tokens', refreshTokenRow(writes.session.firstRefreshToken), trx);
    }
    if (writes.auditEvents && writes.auditEvents.length > 0) await trx.insertInto('audit_events').values(auditEventRows(writes.auditEvents)).execute();
  }
  const isChanged = writes.fill !== undefined || writes.guest?.action === 'upgrade' || writes.guest?.action === 'merge';
  if (!isChanged || !writes.session) return undefined;
  const row = await trx.selectFrom('consumers').selectAll().where('id', '=', writes.session.session.consumerId).executeTakeFirstOrThrow();
  return toConsumer(row);
}

/**
 * SPEC §10: no session starts for a disabled consumer — every sign-in path writes its session here.
 * On PostgreSQL the row is read FOR SHARE: a disable (which UPDATEs the row, then revokes the
 * consumer's sessions, in one transaction) either commits first, and this waits and sees it, or waits
 * for this transaction, and then revokes the session it wrote. SQLite runs one write transaction at a
 * time (a transaction that read before another committed cannot write after it: SQLITE_BUSY_SNAPSHOT), so a
 * plain read is enough there.
 */
async function refuseDisabledConsumer(trx: Kysely<Database>, consumerId: string): Promise<void> {
  const read = trx.selectFrom('consumers').select('disabled_at').where('id', '=', consumerId);
  const row = await (trx.getExecutor().adapter instanceof PostgresAdapter ? read.forShare() : read).executeTakeFirst();
  if (row && row.disabled_at !== null) throw new SignInConflict('consumer_disabled');
}

/**
 * SQLite group commit (sqlite-write-batch.ts): the session part of writeSignIn — the disabled check,
 * the session, its first refresh token, the audit events — as synchronous statements, for work that
 * runs inside a batch (a code redemption, an exchange without a guest). Same rows, same order, same
 * refusal.
 */
export function sqliteSessionWriter(db: Kysely<Database>, sqlite: SQLite.Database) {
  const insertRow = sqliteRowInserter(db, sqlite);
  const disabledAt = sqliteStatement(sqlite, prepareQuery(db, (db, $: Placeholder<{ id: string }>) => db.selectFrom('consumers').select('disabled_at').where('id', '=', $('id'))));
  return ({ session, auditEvents, ...others }: SignInWrites): void => {
    // The batch serves only sign-ins that write a session and events; the others take writeSignIn.
    if (Object.values(others).some((part) => part !== undefined)) throw new Error(`sqliteSessionWriter: cannot write ${Object.keys(others).join(', ')}`);
    if (!session) return;
    const consumer = disabledAt.first({ id: session.session.consumerId });
    if (consumer && consumer.disabled_at !== null) throw new SignInConflict('consumer_disabled');
    insertRow('sessions', sessionRow(session.session));
    if (session.firstRefreshToken) insertRow('refresh_tokens', refreshTokenRow(session.firstRefreshToken));
    for (const row of auditEventRows(auditEvents ?? [])) insertRow('audit_events', row);
  };
}

/**
 * PostgreSQL: the session part of a sign-in — the disabled check, the session, its first refresh
 * token and the audit events — as one statement (data-modifying CTEs) instead of four round trips.
 * The consumer's row is still read FOR SHARE, with the race semantics refuseDisabledConsumer
 * describes; the inserts sit in the caller's transaction, which a disabled consumer rolls back.
 * One prepared statement per shape (columns, a refresh token or not, how many events).
 */
function postgresSessionStart(db: Kysely<Database>): Required<SignInStatements>['startSession'] {
  type Params = Record<string, unknown>;
  const byShape = new Map<string, PreparedQuery<Params, { disabled_at: number | null }>>();
  const named = (prefix: string, row: Record<string, unknown>, $: Placeholder<Params>) => Object.fromEntries(Object.keys(row).map((column) => [column, $(prefix + column)]));
  const bound = (prefix: string, row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).map(([column, value]) => [prefix + column, value]));
  return async (trx, { session, firstRefreshToken }, auditEvents) => {
    const sessionValues = sessionRow(session);
    const tokenValues = firstRefreshToken && refreshTokenRow(firstRefreshToken);
    const eventRows = auditEventRows(auditEvents);
    const shape = [Object.keys(sessionValues), tokenValues ? Object.keys(tokenValues) : '-', eventRows.map((row) => Object.keys(row))].join('|');
    let query = byShape.get(shape);
    if (!query) {
      query = prepareQuery(db, (db, $: Placeholder<Params>) => {
        // The chain's type changes with each CTE; the tables and columns are ours, never input.
        let chain = (db as Kysely<any>)
          .with('live', (qc) => qc.selectFrom('consumers').select('disabled_at').where('id', '=', $('consumer_id')).forShare())
          .with('session_row', (qc) => qc.insertInto('sessions').values(named('s_', sessionValues, $)));
        if (tokenValues) chain = chain.with('token_row', (qc) => qc.insertInto('refresh_tokens').values(named('t_', tokenValues, $))) as typeof chain;
        if (eventRows.length > 0) chain = chain.with('event_rows', (qc) => qc.insertInto('audit_events').values(eventRows.map((row, i) => named(`e${i}_`, row, $)))) as typeof chain;
        return chain.selectFrom('live').select('disabled_at');
      });
      byShape.set(shape, query);
    }
    const params: Params = { consumer_id: session.consumerId, ...bound('s_', sessionValues), ...(tokenValues ? bound('t_', tokenValues) : {}) };
    eventRows.forEach((row, i) => Object.assign(params, bound(`e${i}_`, row)));
    const live = await query.first(params, trx);
    if (live && live.disabled_at !== null) throw new SignInConflict('consumer_disabled');
  };
}
