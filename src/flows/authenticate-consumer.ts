import { AuthenticationRequired } from '../protocol/errors.js';
import { findApplicationByPublishableKey } from './applications.js';
import { CONSUMER_ACCESS_TOKEN_TYP } from './consumer-tokens.js';
import type { FlowDeps } from './deps.js';

/** Who a valid consumer access token speaks for. */
export interface ConsumerPrincipal {
  consumerId: string;
  sessionId: string;
  organizationId: string;
  applicationId: string;
  sessionType: 'guest' | 'authenticated';
  /** When the session began: the sign-in (a refresh keeps it). */
  signedInAt?: number;
  /** RFC 9449: the DPoP key the session is bound to; its tokens are accepted only with a proof by it. */
  dpopJkt?: string;
}

/**
 * Verifies a consumer access token: signature by a published key, its own `typ` (RFC 8725 §3.11),
 * issuer, expiry, the `session_type` claim — and that its
 * session is still live and a consumer session, so logout takes effect at once (SPEC §4).
 */
export async function authenticateConsumerToken(deps: FlowDeps, token: string): Promise<ConsumerPrincipal> {
  let payload;
  try {
    payload = await deps.keyring.verify(token, { issuer: deps.issuer, typ: CONSUMER_ACCESS_TOKEN_TYP, requiredClaims: ['sub', 'sid', 'exp', 'session_type'] });
  } catch (error) {
    throw new AuthenticationRequired('the access token is invalid or expired', { cause: error });
  }
  // SPEC §10: the tokens of a disabled application stop working at once. Its `aud` is the
  // application's publishable key, looked up alongside the session, so it adds no wait.
  const [session, application] = await Promise.all([
    typeof payload.sid === 'string' ? deps.store.getSession(payload.sid) : undefined,
    typeof payload.aud === 'string' ? findApplicationByPublishableKey(deps, payload.aud) : undefined,
  ]);
  if (!application) throw new AuthenticationRequired('the application of this access token is unknown or disabled');
  if (!session || session.revokedAt !== null || session.kind !== 'consumer' || session.consumerId !== payload.sub) {
    throw new AuthenticationRequired('the session of this access token has ended');
  }
  return {
    consumerId: session.consumerId,
    sessionId: session.id,
    organizationId: session.organizationId,
    applicationId: session.applicationId,
    sessionType: session.type,
    signedInAt: session.createdAt,
    ...(session.dpopJkt ? { dpopJkt: session.dpopJkt } : {}),
  };
}
