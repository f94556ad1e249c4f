import { InvalidGrant } from '../../protocol/oauth-errors.js';
import { requestedClaims } from '../../protocol/openid-claims.js';
import type { Application } from '../../storage/store.js';
import type { FlowDeps } from '../deps.js';
import { personClaims } from './claims.js';
import { signIdToken } from './tokens.js';

/** The OpenID Connect context of a token family (its code, or its session once stored). */
export interface IdTokenContext {
  consumerId: string;
  /** The scope of the access token issued with it. */
  scope: string;
  nonce: string | null;
  authTime: number | null;
  browserSessionId: string | null;
  /** The `claims` request parameter as JSON (Core §5.5). */
  claims: string | null;
}

/**
 * OpenID Connect Core §3.1.3.3 / §12.2: the ID token that goes with an access token, when its scope
 * has `openid` (else undefined). The person's record is read only when the `claims` parameter asked
 * for claims in the ID token.
 */
export async function issueIdToken(
  deps: FlowDeps,
  application: Application,
  context: IdTokenContext,
  accessToken: string,
  ttlSeconds: number,
): Promise<string | undefined> {
  if (!context.scope.split(' ').includes('openid')) return undefined;
  const asked = requestedClaims(context.claims, 'id_token');
  let userClaims: Record<string, unknown> = {};
  if (asked.length > 0) {
    const consumer = await deps.store.getConsumer(context.consumerId);
    if (!consumer) throw new InvalidGrant('the user of this grant no longer exists');
    userClaims = personClaims(consumer, asked);
  }
  const idToken = await signIdToken(
    deps,
    {
      subject: context.consumerId, application, accessToken, nonce: context.nonce, authTimeMs: context.authTime,
      browserSessionId: context.browserSessionId, userClaims,
    },
    ttlSeconds,
  );
  deps.metrics.tokenIssued('id_token');
  return idToken;
}
