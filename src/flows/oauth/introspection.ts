import { decodeProtectedHeader } from 'jose';
import { hashSecret } from '../../crypto/hash.js';
import type { Application } from '../../storage/store.js';
import type { FlowDeps } from '../deps.js';
import { authenticateBearer } from './tokens.js';

/** RFC 7662 §2.2 response; an inactive token is exactly `{ active: false }`. */
export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

const INACTIVE = { active: false } as const;

/**
 * RFC 7662: tells an authenticated client whether a token is active. Only the client's own tokens
 * are ever reported active: another client's token — even in the same organization — is answered
 * `{ active: false }`, so no client learns another's users or scopes (RFC 7662 §4).
 */
export async function introspectToken(deps: FlowDeps, client: Application, token: string): Promise<IntrospectionResponse> {
  const now = deps.clock.now();
  const refresh = await deps.store.findRefreshToken(hashSecret(token));
  if (refresh) {
    const session = await deps.store.getSession(refresh.sessionId);
    const isActive = refresh.rotatedAt === null && refresh.revokedAt === null && refresh.expiresAt > now && session?.revokedAt === null && session.kind === 'oauth';
    if (!isActive || session.applicationId !== client.id) return INACTIVE;
    return {
      active: true, token_type: 'refresh_token', client_id: client.publishableKey, sub: session.consumerId,
      ...(session.scope ? { scope: session.scope } : {}), iss: deps.issuer,
      iat: Math.floor(refresh.createdAt / 1000), exp: Math.floor(refresh.expiresAt / 1000),
      // RFC 9449 §6.2: a refresh token bound to a DPoP key says which.
      ...(session.dpopJkt ? { cnf: { jkt: session.dpopJkt } } : {}),
    };
  }
  try {
    if (decodeProtectedHeader(token).typ !== 'at+jwt') return INACTIVE;
    // RFC 8707: a token issued for another resource (its `aud`) is still reported on.
    const { payload } = await authenticateBearer(deps, token, ['oauth'], { anyAudience: true });
    if (payload.client_id !== client.publishableKey) return INACTIVE;
    return {
      active: true, token_type: payload.cnf ? 'DPoP' : 'Bearer', client_id: payload.client_id, sub: payload.sub, ...(payload.scope ? { scope: payload.scope } : {}),
      iss: payload.iss, aud: payload.aud, iat: payload.iat, exp: payload.exp, jti: payload.jti,
      // RFC 9449 §6.2: the key a DPoP-bound access token is bound to.
      ...(payload.cnf ? { cnf: payload.cnf } : {}),
    };
  } catch {
    return INACTIVE;
  }
}
