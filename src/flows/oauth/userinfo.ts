import { InsufficientScope, InvalidToken } from '../../protocol/oauth-errors.js';
import { claimsOfScopes, requestedClaims } from '../../protocol/openid-claims.js';
import type { FlowDeps } from '../deps.js';
import { personClaims } from './claims.js';
import type { BearerPrincipal } from './tokens.js';

/** OpenID Connect Core §5.3.2 response: `sub` and the claims the token may see. */
export type OpenIdUserInfo = { sub: string } & Record<string, unknown>;

/**
 * OpenID Connect Core §5.3 UserInfo for an OAuth access token (SPEC §9): `sub`, the claims the
 * token's scope values allow (Core §5.4) and those its grant's `claims` parameter asked for under
 * `userinfo` (Core §5.5), in their standard names; a claim with no value is left out. A token
 * without `openid` → 403 insufficient_scope (Core §5.3.3, RFC 6750 §3.1); one that speaks for no
 * person (client_credentials) → 401 invalid_token.
 */
export async function getOpenIdUserInfo(deps: FlowDeps, principal: BearerPrincipal): Promise<OpenIdUserInfo> {
  if (!principal.session) throw new InvalidToken('this token speaks for an application, not a person');
  const scopes = (principal.payload.scope ?? '').split(' ').filter(Boolean);
  if (!scopes.includes('openid')) throw new InsufficientScope('UserInfo needs an access token with the openid scope', 'openid');
  const consumer = await deps.store.getConsumer(principal.session.consumerId);
  if (!consumer) throw new InvalidToken('the person of this token no longer exists');
  const claims = personClaims(consumer, [...claimsOfScopes(scopes), ...requestedClaims(principal.session.claims, 'userinfo')]);
  // Core §5.3.2: `sub` is always there, and is the ID token's.
  return { sub: principal.session.consumerId, ...claims };
}
