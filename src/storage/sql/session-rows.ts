import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { RefreshTokenRecord, Session } from '../store.js';
import { resourcesColumn } from './rows.js';

/** Domain session → row (the reverse of rows.ts `toSession`). */
export function sessionRow(session: Session) {
  return {
    id: session.id,
    organization_id: session.organizationId,
    application_id: session.applicationId,
    consumer_id: session.consumerId,
    type: session.type,
    kind: session.kind,
    grant_id: session.grantId,
    scope: session.scope,
    code_hash: session.codeHash,
    browser_session_id: session.browserSessionId ?? null,
    auth_time: session.authTime ?? null,
    claims: session.claims ?? null,
    dpop_jkt: session.dpopJkt ?? null,
    resources: resourcesColumn(session.resources),
    created_at: session.createdAt,
    revoked_at: session.revokedAt,
  };
}

/** Domain refresh token → row. */
export function refreshTokenRow(token: RefreshTokenRecord) {
  return {
    token_hash: token.tokenHash,
    session_id: token.sessionId,
    created_at: token.createdAt,
    expires_at: token.expiresAt,
    rotated_at: token.rotatedAt,
    revoked_at: token.revokedAt,
  };
}

/**
 * Revokes the live sessions that match and every refresh token of their families, inside the
 * caller's transaction. Returns how many sessions it revoked. Every revocation path uses this one.
 */
export async function revokeSessionsWhere(
  trx: Kysely<Database>,
  filter: { id?: string; consumerId?: string; applicationId?: string; codeHash?: string; browserSessionId?: string; kind?: Session['kind'] },
  now: number,
): Promise<number> {
  let query = trx.updateTable('sessions').set({ revoked_at: now }).where('revoked_at', 'is', null);
  if (filter.id) query = query.where('id', '=', filter.id);
  if (filter.consumerId) query = query.where('consumer_id', '=', filter.consumerId);
  if (filter.applicationId) query = query.where('application_id', '=', filter.applicationId);
  if (filter.codeHash) query = query.where('code_hash', '=', filter.codeHash);
  if (filter.browserSessionId) query = query.where('browser_session_id', '=', filter.browserSessionId);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  const revoked = await query.returning('id').execute();
  if (revoked.length > 0) {
    await trx
      .updateTable('refresh_tokens')
      .set({ revoked_at: now })
      .where('session_id', 'in', revoked.map((r) => r.id))
      .where('revoked_at', 'is', null)
      .execute();
  }
  return revoked.length;
}
