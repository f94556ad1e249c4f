import { generateId } from '../../crypto/random.js';
import { AUTHORIZATION_SESSION_TTL_SECONDS } from '../../protocol/lifetimes.js';
import { InvalidRequest, InvalidScope, OAuthError, UnsupportedResponseType } from '../../protocol/oauth-errors.js';
import { CODE_CHALLENGE_PATTERN } from '../../protocol/pkce.js';
import { isRegisteredRedirectUri } from '../../protocol/redirect-uri.js';
import { isScopeSubset, parseScope } from '../../protocol/scopes.js';
import type { Application, AuthorizationRequest } from '../../storage/store.js';
import { findApplicationByPublishableKey } from '../applications.js';
import type { FlowDeps } from '../deps.js';
import { signAuthorizationSession } from './tokens.js';

/**
 * An error found after the client and its redirect URI were verified: RFC 6749 §4.1.2.1 lets it go
 * back to the client's redirect URI (hosted mode) — before that point it never may (RFC 9700 §4.11).
 */
export class RedirectableError extends Error {
  constructor(readonly error: OAuthError, readonly redirectUri: string, readonly state: string | undefined) {
    super(error.message);
  }
}

export interface InitiatedAuthorization {
  token: string;
  url: string;
  request: AuthorizationRequest;
  application: Application;
  isApiMode: boolean;
}

/** The hosted page of an authorization session (SPEC §7). */
export function hostedPageUrl(issuer: string, requestId: string): string {
  return `${issuer}/oauth/authorize/${requestId}`;
}

/**
 * SPEC §6.1 step 1: verifies the client and redirect URI first (errors: JSON, never a redirect),
 * then every other parameter (errors: RedirectableError), then records the request and signs the
 * 10-minute authorization session.
 */
export async function initiateAuthorization(
  deps: FlowDeps,
  params: Record<string, string | undefined>,
  headerClientKey: string | undefined,
): Promise<InitiatedAuthorization> {
  if (params.client_id && headerClientKey && params.client_id !== headerClientKey) {
    throw new InvalidRequest('client_id and the x-client-key header name different clients');
  }
  const clientId = params.client_id || headerClientKey;
  if (!clientId) throw new InvalidRequest('the client_id parameter is required');
  const application = await findApplicationByPublishableKey(deps, clientId);
  if (!application) throw new InvalidRequest('unknown client_id');
  const redirectUri = params.redirect_uri;
  if (!redirectUri) throw new InvalidRequest('the redirect_uri parameter is required');
  // RFC 6749 §3.1.2.3, RFC 8252 §7.3: exact match, loopback IP ports excepted.
  if (!isRegisteredRedirectUri(application.redirectUris, redirectUri)) {
    throw new InvalidRequest('redirect_uri is not registered for this client');
  }

  const state = params.state;
  const fail = (error: OAuthError) => new RedirectableError(error, redirectUri, state);
  // RFC 9700 §2.1.2: the authorization code is the only response type.
  if (params.response_type !== 'code') throw fail(new UnsupportedResponseType('response_type must be code'));
  if (!state || state.length < 8 || state.length > 512) throw fail(new InvalidRequest('state is required, 8 to 512 characters'));
  // RFC 7636 §4.4.1, RFC 9700 §2.1.1: PKCE for every client, S256 only.
  if (params.code_challenge_method !== 'S256') throw fail(new InvalidRequest('code_challenge_method must be S256 (plain is refused)'));
  if (!params.code_challenge || !CODE_CHALLENGE_PATTERN.test(params.code_challenge)) {
    throw fail(new InvalidRequest('code_challenge must be 43 base64url characters'));
  }
  const scopes = parseScope(params.scope ?? '');
  if (!scopes) throw fail(new InvalidScope('scope is malformed'));
  if (!isScopeSubset(scopes, application.allowedScopes)) throw fail(new InvalidScope('scope asks for more than this client may have'));
  if (params.nonce !== undefined && (params.nonce.length === 0 || params.nonce.length > 512)) throw fail(new InvalidRequest('nonce must be 1 to 512 characters'));
  if (params.mode !== undefined && params.mode !== 'api') throw fail(new InvalidRequest('mode must be api when present'));

  const now = deps.clock.now();
  const request: AuthorizationRequest = {
    id: generateId('azr_', now),
    organizationId: application.organizationId,
    applicationId: application.id,
    redirectUri,
    state,
    codeChallenge: params.code_challenge,
    scope: scopes.join(' '),
    nonce: params.nonce ?? null,
    prompt: null,
    maxAge: null,
    loginHint: null,
    idTokenHintSubject: null,
    claims: null,
    createdAt: now,
    expiresAt: now + AUTHORIZATION_SESSION_TTL_SECONDS * 1000,
    consumedAt: null,
  };
  await deps.store.createAuthorizationRequest(request);
  await deps.audit.record('authorization.requested', application.organizationId, { applicationId: application.id, requestId: request.id });
  const token = await signAuthorizationSession(deps, request, application);
  return { token, url: hostedPageUrl(deps.issuer, request.id), request, application, isApiMode: params.mode === 'api' };
}
