import { hashSecret } from '../../crypto/hash.js';
import { InvalidGrant, InvalidScope } from '../../protocol/oauth-errors.js';
import { audienceOf } from '../../protocol/resource-indicators.js';
import { isScopeSubset, parseScope } from '../../protocol/scopes.js';
import type { Application } from '../../storage/store.js';
import type { FlowDeps } from '../deps.js';
import { settingsOf } from '../organization-settings.js';
import { rotateRefreshFamily } from '../refresh-rotation.js';
import { issueIdToken } from './id-token.js';
import type { TokenResponse } from './token-response.js';
import { bindFamilyOnFirstProof, checkRefreshBinding } from './dpop-binding.js';
import { signOAuthAccessToken } from './tokens.js';

/**
 * RFC 6749 §6: rotates the refresh token (same reuse window and theft detection as the consumer API,
 * RFC 9700 §4.14.2). A narrower `scope` narrows the new access token; a wider one is invalid_scope.
 * With `openid` in the new scope a new ID token comes too (OpenID Connect Core §12.2): same `sub`,
 * `auth_time` and `sid` as the family's first, a new `at_hash`, and no `nonce`. RFC 8707 §2.2: the
 * access token is for one of the family's resources (`resource` picks it; else the first token's).
 */
export async function refreshOAuthTokens(
  deps: FlowDeps,
  application: Application,
  params: { refreshToken: string; scope?: string; dpopJkt?: string | undefined; resources?: readonly string[] },
): Promise<TokenResponse> {
  const settings = await settingsOf(deps, application);
  // Checked before rotating, so a refused request leaves the token usable.
  const requested = params.scope === undefined ? undefined : parseScope(params.scope);
  if (params.scope !== undefined && !requested) throw new InvalidScope('scope is malformed');
  const resources = params.resources ?? [];
  // Read before rotating, so a refused request leaves the token usable for its holder — only when
  // there is something to check: a narrower scope or a resource asked for, or a public client's
  // family that may be bound to a DPoP key (RFC 9449 §5; a confidential client's never is), so the
  // common confidential refresh stays one round trip (issue 15).
  if (requested || resources.length > 0 || application.type === 'public') {
    const presented = await deps.store.findRefreshToken(hashSecret(params.refreshToken));
    const family = presented && (await deps.store.getSession(presented.sessionId));
    if (family && family.applicationId === application.id) {
      if (requested && !isScopeSubset(requested, (family.scope ?? '').split(' '))) throw new InvalidScope('scope is wider than the original grant');
      checkRefreshBinding(family, params.dpopJkt);
      await bindFamilyOnFirstProof(deps, application, family, presented, params.dpopJkt);
      // RFC 8707 §2.2: a refresh may narrow the audience to one granted resource, never widen it.
      audienceOf(family.resources ?? [], resources, 'first');
    }
  }
  const outcome = await rotateRefreshFamily(deps, application, 'oauth', params.refreshToken, {
    refreshTokenTtlSeconds: settings.oauthRefreshTokenTtlSeconds,
    refreshReuseIntervalSeconds: settings.refreshReuseIntervalSeconds,
  });
  if (!outcome.ok) throw new InvalidGrant('the refresh token is invalid, expired, revoked or was already used');
  const granted = (outcome.session.scope ?? '').split(' ').filter(Boolean);
  // RFC 6749 §6: "MUST NOT include any scope not originally granted".
  if (requested && !isScopeSubset(requested, granted)) throw new InvalidScope('scope is wider than the original grant');
  const scope = (requested ?? granted).join(' ');
  const resource = audienceOf(outcome.session.resources ?? [], resources, 'first');
  const accessToken = await signOAuthAccessToken(
    deps,
    {
      subject: outcome.session.consumerId, application, scope, sessionId: outcome.session.id, organizationId: outcome.session.organizationId,
      dpopJkt: params.dpopJkt, ...(resource ? { resource } : {}),
    },
    settings.oauthAccessTokenTtlSeconds,
  );
  const family = outcome.session;
  const idToken = await issueIdToken(
    deps, application,
    {
      consumerId: family.consumerId, scope, nonce: null, authTime: family.authTime ?? null,
      browserSessionId: family.browserSessionId ?? null, claims: family.claims ?? null,
    },
    accessToken, settings.oauthAccessTokenTtlSeconds,
  );
  deps.metrics.tokenIssued('oauth_access');
  deps.metrics.tokenIssued('oauth_refresh');
  return {
    access_token: accessToken,
    token_type: params.dpopJkt ? 'DPoP' : 'Bearer',
    expires_in: settings.oauthAccessTokenTtlSeconds,
    refresh_token: outcome.refreshToken,
    refresh_token_expires_in: settings.oauthRefreshTokenTtlSeconds,
    scope,
    ...(idToken ? { id_token: idToken } : {}),
  };
}
