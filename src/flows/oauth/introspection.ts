import { decodeProtectedHeader } from 'jose';
import { hashSecret } from '../../crypto/hash.js';
import type { Application } from '../../storage/store.js';
import type { FlowDeps } from '../deps.js';
import { authenticateBearer } from './tokens.js';

/** RFC 7662 §2.2 response; an inactive token is exactly `{ active: false }`. */
export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

const INACTIVE = { active: false } as const;

/**
 * RFC 7662: tells an authenticated client whether a token is active. Only tokens of the client's
 * own organization are ever reported active (nothing crosses organizations, SPEC §1).
 */
export async function introspectToken(deps: FlowDeps, client: Application, token: string): Promise<IntrospectionResponse> {
  const now = deps.clock.now();
  const refresh = await deps.store.findRefreshToken(hashSecret(token));
  if (refresh) {
    const session = await deps.store.getSession(refresh.sessionId);
    const isActive = refresh.rotatedAt === null && refresh.revokedAt === null && refresh.expiresAt > now && session?.revokedAt === null && session.kind === 'oauth';
    if (!isActive || session.organizationId !== client.organizationId) return INACTIVE;
    const owner = await deps.store.getApplication(session.applicationId);
    return {
      active: true, token_type: 'refresh_token', client_id: owner?.publishableKey, sub: session.consumerId,
      ...(session.scope ? { scope: session.scope } : {}), iss: deps.issuer,
      iat: Math.floor(refresh.createdAt / 1000), exp: Math.floor(refresh.expiresAt / 1000),
    };
  }
  try {
    if (decodeProtectedHeader(token).typ !== 'at+jwt') return INACTIVE;
    const { payload } = await authenticateBearer(deps, token, ['oauth']);
    const owner = payload.client_id ? await deps.store.findApplicationByPublishableKey(payload.client_id) : undefined;
    if (!owner || owner.organizationId !== client.organizationId) return INACTIVE;
    return {
      active: true, token_type: 'Bearer', client_id: payload.client_id, sub: payload.sub, ...(payload.scope ? { scope: payload.scope } : {}),
      iss: payload.iss, aud: payload.aud, iat: payload.iat, exp: payload.exp, jti: payload.jti,
    };
  } catch {
    return INACTIVE;
  }
}
