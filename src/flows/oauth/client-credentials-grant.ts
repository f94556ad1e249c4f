import { InvalidScope, UnauthorizedClient } from '../../protocol/oauth-errors.js';
import { checkRequestedResources, audienceOf } from '../../protocol/resource-indicators.js';
import { isScopeSubset, parseScope } from '../../protocol/scopes.js';
import type { FlowDeps } from '../deps.js';
import { settingsOf } from '../organization-settings.js';
import type { AuthenticatedClient } from './client-authentication.js';
import type { TokenResponse } from './token-response.js';
import { signOAuthAccessToken } from './tokens.js';

/**
 * RFC 6749 §4.4 (SPEC §6.4): confidential clients only; a revocable access token whose `sub` is the
 * application. RFC 8707 §2: its `aud` is the one `resource` asked for, among the application's.
 */
export async function issueClientCredentialsToken(
  deps: FlowDeps,
  client: AuthenticatedClient,
  params: { scope?: string; resources?: readonly string[]; dpopJkt?: string | undefined },
): Promise<TokenResponse> {
  const { application } = client;
  if (application.type !== 'confidential' || !client.hasSecret) throw new UnauthorizedClient('client_credentials is for confidential clients');
  const scopes = parseScope(params.scope ?? '');
  if (!scopes) throw new InvalidScope('scope is malformed');
  if (!isScopeSubset(scopes, application.allowedScopes)) throw new InvalidScope('scope asks for more than this client may have');
  const resource = audienceOf(checkRequestedResources(params.resources ?? [], application.resources), params.resources ?? []);
  const settings = await settingsOf(deps, application);
  const scope = scopes.join(' ');
  // No row: the token has no session (no user, no refresh token), so issuing it is one signature
  // and no write. Revoking it puts its `jti` on the revocation list (flows/oauth/revocation.ts).
  const accessToken = await signOAuthAccessToken(
    deps,
    { subject: application.id, application, scope, organizationId: application.organizationId, dpopJkt: params.dpopJkt, ...(resource ? { resource } : {}) },
    settings.oauthAccessTokenTtlSeconds,
  );
  deps.metrics.tokenIssued('oauth_access');
  return { access_token: accessToken, token_type: params.dpopJkt ? 'DPoP' : 'Bearer', expires_in: settings.oauthAccessTokenTtlSeconds, ...(scope ? { scope } : {}) };
}
