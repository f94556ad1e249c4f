import type { Kysely } from 'kysely';
import { prepareQuery, sqliteStatement, type Placeholder, type PreparedQuery } from '../prepared.js';
import type { HotWrites } from '../sqlite-write-batch.js';
import type { Database } from '../schema.js';
import type { AfterConsume } from '../fault-point.js';
import type { AuthorizationCode, Grant, Store } from '../store.js';
import { auditEventRows } from './audit.js';
import { absentAsEmpty, resourcesColumn, toAuthorizationCode, toAuthorizationRequest, toGrant } from './rows.js';
import { revokeSessionsWhere } from './session-rows.js';
import { signInStatements, sqliteSessionWriter, writeSignIn } from './sign-in-writes.js';

type OAuthMethods = Pick<
  Store,
  | 'createAuthorizationRequest' | 'getAuthorizationRequest' | 'consumeAuthorizationRequest' | 'redeemAuthorizationRequest'
  | 'recordGrant' | 'revokeGrant' | 'findLiveGrant'
  | 'createAuthorizationCode' | 'redeemAuthorizationCode' | 'findAuthorizationCode' | 'revokeSessionsOfCode'
>;

/** Records (or widens, or revives) the consumer's grant to the application, in the caller's transaction; returns it as stored. */
async function recordGrantIn(trx: Kysely<Database>, grant: Grant): Promise<Grant> {
  const existing = await trx
    .selectFrom('grants')
    .selectAll()
    .where('application_id', '=', grant.applicationId)
    .where('consumer_id', '=', grant.consumerId)
    .executeTakeFirst();
  if (!existing) {
    await trx
      .insertInto('grants')
      .values({
        id: grant.id, organization_id: grant.organizationId, application_id: grant.applicationId, consumer_id: grant.consumerId,
        scope: grant.scope, created_at: grant.createdAt, updated_at: grant.updatedAt, revoked_at: null,
      })
      .onConflict((oc) => oc.columns(['application_id', 'consumer_id']).doNothing())
      .execute();
  } else {
    // A revoked grant comes back with only what is asked now; a live one widens.
    const scopes = new Set([...(existing.revoked_at === null ? existing.scope.split(' ') : []), ...grant.scope.split(' ')].filter(Boolean));
    await trx
      .updateTable('grants')
      .set({ scope: [...scopes].join(' '), updated_at: grant.updatedAt, revoked_at: null })
      .where('id', '=', existing.id)
      .execute();
  }
  const row = await trx
    .selectFrom('grants')
    .selectAll()
    .where('application_id', '=', grant.applicationId)
    .where('consumer_id', '=', grant.consumerId)
    .executeTakeFirstOrThrow();
  return toGrant(row);
}

/** Domain authorization code → row. */
function authorizationCodeRow(code: AuthorizationCode) {
  return {
    code_hash: code.codeHash,
    organization_id: code.organizationId,
    application_id: code.applicationId,
    consumer_id: code.consumerId,
    grant_id: code.grantId,
    redirect_uri: code.redirectUri,
    code_challenge: absentAsEmpty(code.codeChallenge),
    scope: code.scope,
    nonce: code.nonce,
    auth_time: code.authTime,
    browser_session_id: code.browserSessionId,
    claims: code.claims,
    resources: resourcesColumn(code.resources),
    dpop_jkt: code.dpopJkt ?? null,
    created_at: code.createdAt,
    expires_at: code.expiresAt,
    consumed_at: null,
  };
}

/** Authorization requests, grants and authorization codes (SPEC §6). */
export function oauthQueries(db: Kysely<Database>, afterConsume: AfterConsume, hotWrites?: HotWrites): OAuthMethods {
  // SPEC §6.3: the session JWT is single use — one conditional write decides.
  const consumeRequest = (executor: Kysely<Database>, id: string, applicationId: string, now: number) =>
    executor
      .updateTable('authorization_requests')
      .set({ consumed_at: now })
      .where('id', '=', id)
      .where('application_id', '=', applicationId)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
  // The token endpoint's queries, prepared once (prepared.ts).
  const signInWrites = signInStatements(db);
  // RFC 6749 §4.1.2 / SPEC §4: one conditional write consumes the code; the bindings of RFC 6749
  // §4.1.3 (client, redirect URI) and RFC 7636 §4.6 (challenge) are in the same WHERE.
  const redeemCode = prepareQuery(db, (db, $: Placeholder<{ codeHash: string; applicationId: string; redirectUri: string; codeChallenge: string; now: number }>) =>
    db
      .updateTable('authorization_codes')
      .set({ consumed_at: $('now') })
      .where('code_hash', '=', $('codeHash'))
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', $('now'))
      .where('application_id', '=', $('applicationId'))
      .where('redirect_uri', '=', $('redirectUri'))
      .where('code_challenge', '=', $('codeChallenge'))
      // A grant revoked while the code was in flight takes the code with it.
      .where(({ exists, selectFrom }) =>
        exists(selectFrom('grants').select('grants.id').whereRef('grants.id', '=', 'authorization_codes.grant_id').where('grants.revoked_at', 'is', null)),
      )
      .returningAll(),
  );
  const redeemAuthorizationCode: Store['redeemAuthorizationCode'] = hotWrites
    ? sqliteCodeRedemption(db, hotWrites, afterConsume, redeemCode)
    : (match, family) =>
        db.transaction().execute(async (trx) => {
          const row = await redeemCode.first({ ...match, codeChallenge: absentAsEmpty(match.codeChallenge) }, trx);
          if (!row) return undefined;
          afterConsume('authorization_code');
          const code = toAuthorizationCode(row);
          const { session, firstRefreshToken, auditEvents } = family(code);
          await writeSignIn(trx, signInWrites, { session: { session, firstRefreshToken }, auditEvents }, match.now);
          return code;
        });
  const codeByHash = prepareQuery(db, (db, $: Placeholder<{ codeHash: string }>) => db.selectFrom('authorization_codes').selectAll().where('code_hash', '=', $('codeHash')));

  return {
    async createAuthorizationRequest(request) {
      await db
        .insertInto('authorization_requests')
        .values({
          id: request.id,
          organization_id: request.organizationId,
          application_id: request.applicationId,
          redirect_uri: request.redirectUri,
          state: absentAsEmpty(request.state),
          code_challenge: absentAsEmpty(request.codeChallenge),
          scope: request.scope,
          nonce: request.nonce,
          prompt: request.prompt,
          max_age: request.maxAge,
          login_hint: request.loginHint,
          id_token_hint_subject: request.idTokenHintSubject,
          resources: resourcesColumn(request.resources),
          dpop_jkt: request.dpopJkt ?? null,
          claims: request.claims,
          created_at: request.createdAt,
          expires_at: request.expiresAt,
          consumed_at: null,
        })
        .execute();
    },

    async getAuthorizationRequest(id) {
      const row = await db.selectFrom('authorization_requests').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toAuthorizationRequest(row);
    },

    async consumeAuthorizationRequest(id, applicationId, now) {
      const row = await consumeRequest(db, id, applicationId, now);
      return row && toAuthorizationRequest(row);
    },

    async redeemAuthorizationRequest(match, issue) {
      // Issue 12.1: the request's consumption, the grant and the code commit together, or none does.
      return db.transaction().execute(async (trx) => {
        const row = await consumeRequest(trx, match.id, match.applicationId, match.now);
        if (!row) return undefined;
        afterConsume('authorization_request');
        const request = toAuthorizationRequest(row);
        const grant = await recordGrantIn(trx, issue.grant(request));
        const { code, auditEvents } = issue.code(request, grant);
        await trx.insertInto('authorization_codes').values(authorizationCodeRow(code)).execute();
        if (auditEvents.length > 0) await trx.insertInto('audit_events').values(auditEventRows(auditEvents)).execute();
        return { request, grant };
      });
    },

    async recordGrant(grant) {
      return db.transaction().execute((trx) => recordGrantIn(trx, grant));
    },

    async findLiveGrant(applicationId, consumerId) {
      const row = await db
        .selectFrom('grants')
        .selectAll()
        .where('application_id', '=', applicationId)
        .where('consumer_id', '=', consumerId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return row && toGrant(row);
    },

    async revokeGrant(applicationId, consumerId, now) {
      return db.transaction().execute(async (trx) => {
        await trx
          .updateTable('grants')
          .set({ revoked_at: now, updated_at: now })
          .where('application_id', '=', applicationId)
          .where('consumer_id', '=', consumerId)
          .where('revoked_at', 'is', null)
          .execute();
        return revokeSessionsWhere(trx, { applicationId, consumerId, kind: 'oauth' }, now);
      });
    },

    async createAuthorizationCode(code) {
      await db.insertInto('authorization_codes').values(authorizationCodeRow(code)).execute();
    },

    redeemAuthorizationCode,

    async findAuthorizationCode(codeHash) {
      const row = await codeByHash.first({ codeHash });
      return row && toAuthorizationCode(row);
    },

    async revokeSessionsOfCode(codeHash, now) {
      return db.transaction().execute((trx) => revokeSessionsWhere(trx, { codeHash, kind: 'oauth' }, now));
    },
  };
}

/**
 * SQLite: the code's consumption and its family's rows run synchronously in the next group commit
 * (sqlite-write-batch.ts) — the same statements as the transaction above, one COMMIT per batch.
 */
function sqliteCodeRedemption<R extends Parameters<typeof toAuthorizationCode>[0]>(
  db: Kysely<Database>,
  { sqlite, batch }: HotWrites,
  afterConsume: AfterConsume,
  redeemCode: PreparedQuery<{ codeHash: string; applicationId: string; redirectUri: string; codeChallenge: string; now: number }, R>,
): Store['redeemAuthorizationCode'] {
  const redeem = sqliteStatement(sqlite, redeemCode);
  const writeSession = sqliteSessionWriter(db, sqlite);
  return (match, family) =>
    batch.run(() => {
      const row = redeem.first({ ...match, codeChallenge: absentAsEmpty(match.codeChallenge) });
      if (!row) return undefined;
      afterConsume('authorization_code');
      const code = toAuthorizationCode(row);
      const { session, firstRefreshToken, auditEvents } = family(code);
      writeSession({ session: { session, firstRefreshToken }, auditEvents });
      return code;
    });
}
