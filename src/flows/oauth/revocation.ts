import { decodeProtectedHeader, type JWTPayload } from 'jose';
import { hashSecret } from '../../crypto/hash.js';
import { InvalidToken } from '../../protocol/oauth-errors.js';
import type { Application } from '../../storage/store.js';
import { withActor, type AuditActor } from '../admin-principal.js';
import type { FlowDeps } from '../deps.js';
import { OAUTH_ACCESS_TOKEN_ALGORITHMS, OAUTH_ACCESS_TOKEN_TYP, type BearerPrincipal } from './tokens.js';

/**
 * RFC 7009 §2.1: revokes a refresh token or an access token of this client. Revoking either ends
 * its whole family (the session), so the access tokens of the same grant die at once where this
 * server checks them. Unknown, invalid or foreign tokens are ignored: the answer is 200 regardless
 * (RFC 7009 §2.2), so it tells nothing about other clients' tokens.
 */
export async function revokeToken(deps: FlowDeps, application: Application, token: string): Promise<void> {
  const now = deps.clock.now();
  const refresh = await deps.store.findRefreshToken(hashSecret(token));
  let sessionId = refresh?.sessionId;
  if (!sessionId && token.startsWith('ey')) {
    let payload;
    try {
      if (decodeProtectedHeader(token).typ !== OAUTH_ACCESS_TOKEN_TYP) return;
      // An expired token may still be revoked (its refresh token lives on): check only the signature.
      payload = await deps.keyring.verify(token, {
        issuer: deps.issuer, typ: OAUTH_ACCESS_TOKEN_TYP, algorithms: OAUTH_ACCESS_TOKEN_ALGORITHMS, clockTolerance: Number.MAX_SAFE_INTEGER,
      });
    } catch {
      return;
    }
    if (payload.client_id !== application.publishableKey) return;
    if (typeof payload.sid === 'string') sessionId = payload.sid;
    else return revokeSessionlessToken(deps, application, payload, now);
  }
  if (!sessionId) return;
  const session = await deps.store.getSession(sessionId);
  if (!session || session.kind !== 'oauth' || session.applicationId !== application.id) return;
  if (await deps.store.revokeSession(session.id, now)) {
    await deps.audit.record('oauth.revoked', session.organizationId, { applicationId: application.id, sessionId: session.id, via: 'rfc7009' });
  }
}

/** A client_credentials token has no session: its `jti` goes on the revocation list until it expires. */
async function revokeSessionlessToken(deps: FlowDeps, application: Application, payload: JWTPayload, now: number): Promise<void> {
  if (typeof payload.jti !== 'string' || typeof payload.exp !== 'number') return;
  if (await deps.store.revokeAccessToken({ jti: payload.jti, applicationId: application.id, expiresAt: payload.exp * 1000 }, now)) {
    await deps.audit.record('oauth.revoked', application.organizationId, { applicationId: application.id, jti: payload.jti, via: 'rfc7009' });
  }
}

/** SPEC §6.5 `DELETE /v1/auth/oauth/revoke`: ends every token of this application for this user. */
export async function revokeUserGrant(deps: FlowDeps, application: Application, principal: BearerPrincipal): Promise<void> {
  // A client_credentials token speaks for no user: revoking "every token of the application for
  // that user" means this token (the application's other tokens may be other workers'). See
  // docs/architecture.md.
  if (!principal.session) return revokeSessionlessToken(deps, application, principal.payload, deps.clock.now());
  await revokeGrantOf(deps, { applicationId: application.id, organizationId: application.organizationId, consumerId: principal.session.consumerId });
}

/**
 * Ends a consumer's grant to an application and every token family under it — what SPEC §6.5's
 * DELETE does for the token's user, and what an operator does through the admin API (SPEC §10,
 * `actor`). Returns how many families it revoked.
 */
export async function revokeGrantOf(
  deps: FlowDeps,
  grant: { applicationId: string; organizationId: string; consumerId: string },
  actor?: AuditActor,
): Promise<number> {
  const { applicationId, consumerId } = grant;
  const revoked = await deps.store.revokeGrant(applicationId, consumerId, deps.clock.now());
  await deps.audit.record('oauth.revoked', grant.organizationId, withActor({ applicationId, consumerId, revokedSessions: revoked, via: 'grant' }, actor));
  return revoked;
}
