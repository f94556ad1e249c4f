import { hashSecret } from '../../crypto/hash.js';
import { generateId, generateSecret } from '../../crypto/random.js';
import { InvalidGrant } from '../../protocol/oauth-errors.js';
import { CODE_VERIFIER_PATTERN, computeS256Challenge } from '../../protocol/pkce.js';
import { audienceOf, orderedForFamily } from '../../protocol/resource-indicators.js';
import type { Application, AuditEvent, AuthorizationCode, Session } from '../../storage/store.js';
import type { FlowDeps } from '../deps.js';
import { isDisabledConflict } from '../consumer-status.js';
import { settingsOf } from '../organization-settings.js';
import type { TokenResponse } from './token-response.js';
import { issueIdToken } from './id-token.js';
import { checkCodeBinding, refreshBinding } from './dpop-binding.js';
import { signOAuthAccessToken } from './tokens.js';

/**
 * RFC 6749 §4.1.3 with RFC 7636 §4.6: one transaction redeems the code — only for this client, this
 * redirect URI and a verifier that hashes to the challenge — and starts its token family, with its
 * audit event (issue 12.1: all of it commits, or none). A code issued without a challenge (an
 * application with PKCE optional, SPEC §6.1) is redeemed with no `code_verifier`, and only so: a
 * verifier for it is refused (RFC 9700 §4.8.2, PKCE downgrade). A code presented again is a replay:
 * every token issued from it is revoked (RFC 6749 §4.1.2, §10.5). With `openid` in its scope the
 * answer carries an ID token (OpenID Connect Core §3.1.3.3).
 */
export async function redeemAuthorizationCode(
  deps: FlowDeps,
  application: Application,
  params: { code: string; redirectUri: string; codeVerifier: string | undefined; dpopJkt?: string | undefined; resources?: readonly string[] },
): Promise<TokenResponse> {
  if (params.codeVerifier !== undefined && !CODE_VERIFIER_PATTERN.test(params.codeVerifier)) {
    throw new InvalidGrant('code_verifier must be 43 to 128 unreserved characters');
  }
  const settings = await settingsOf(deps, application);
  const now = deps.clock.now();
  const codeHash = hashSecret(params.code);
  const refreshToken = generateSecret('rt_');
  let session: Session | undefined;
  let resource: string | undefined;
  let auditEvents: AuditEvent[] = [];
  const family = (code: AuthorizationCode) => {
    // RFC 8707 §2.2: the token's audience is one of the resources granted at the authorization
    // request. Thrown here, invalid_target rolls the redemption back: the code stays usable.
    resource = audienceOf(code.resources ?? [], params.resources ?? []);
    // RFC 9449 §10: a code bound to a key is redeemed only with a proof by it. Thrown here, the
    // redemption rolls back: the code stays usable for the key holder.
    checkCodeBinding(code, params.dpopJkt);
    session = {
      id: generateId('ses_', now), organizationId: code.organizationId, applicationId: application.id, consumerId: code.consumerId,
      type: 'authenticated', kind: 'oauth', grantId: code.grantId, scope: code.scope, codeHash,
      // OpenID Connect Core §12.2: a refreshed ID token keeps `auth_time` (and `sid`); the `claims`
      // request holds for the grant's life (UserInfo, later ID tokens). RP-Initiated Logout 1.0 §2:
      // the browser sign-in (`sid`) that started this family ends it at logout.
      browserSessionId: code.browserSessionId, authTime: code.authTime, claims: code.claims, resources: orderedForFamily(code.resources ?? [], resource),
      dpopJkt: refreshBinding(application, params.dpopJkt),
      createdAt: now, revokedAt: null,
    };
    auditEvents = [
      deps.audit.prepare('oauth.tokens_issued', code.organizationId, { applicationId: application.id, consumerId: code.consumerId, sessionId: session.id, grant: 'authorization_code' }),
    ];
    return {
      session,
      auditEvents,
      firstRefreshToken: {
        tokenHash: hashSecret(refreshToken), sessionId: session.id, createdAt: now,
        expiresAt: now + settings.oauthRefreshTokenTtlSeconds * 1000, rotatedAt: null, revokedAt: null,
      },
    };
  };
  // Null (no verifier) matches only a code issued without a challenge, in the consuming UPDATE itself.
  const codeChallenge = params.codeVerifier === undefined ? null : computeS256Challenge(params.codeVerifier);
  const code = await deps.store
    .redeemAuthorizationCode({ codeHash, applicationId: application.id, redirectUri: params.redirectUri, codeChallenge, now }, family)
    // SPEC §10: the person was disabled after the code was issued; the code stays unused.
    .catch((error: unknown) => Promise.reject(isDisabledConflict(error) ? new InvalidGrant('the user\'s account is disabled') : error));
  if (!code || !session) throw await explainRefusal(deps, application, codeHash, { redirectUri: params.redirectUri, codeChallenge }, now);
  deps.audit.committed(auditEvents);

  const accessToken = await signOAuthAccessToken(
    deps,
    { subject: code.consumerId, application, scope: code.scope, sessionId: session.id, organizationId: code.organizationId, dpopJkt: params.dpopJkt, ...(resource ? { resource } : {}) },
    settings.oauthAccessTokenTtlSeconds,
  );
  const idToken = await issueIdToken(deps, application, code, accessToken, settings.oauthAccessTokenTtlSeconds);
  deps.metrics.tokenIssued('oauth_access');
  deps.metrics.tokenIssued('oauth_refresh');
  return {
    access_token: accessToken,
    token_type: params.dpopJkt ? 'DPoP' : 'Bearer',
    expires_in: settings.oauthAccessTokenTtlSeconds,
    refresh_token: refreshToken,
    refresh_token_expires_in: settings.oauthRefreshTokenTtlSeconds,
    scope: code.scope,
    ...(idToken ? { id_token: idToken } : {}),
  };
}

/** Reads the code without changing it to say why it was refused; a replay revokes its tokens. */
async function explainRefusal(
  deps: FlowDeps,
  application: Application,
  codeHash: string,
  presented: { redirectUri: string; codeChallenge: string | null },
  now: number,
): Promise<InvalidGrant> {
  const found = await deps.store.findAuthorizationCode(codeHash);
  if (!found) return new InvalidGrant('the authorization code is invalid');
  if (found.consumedAt !== null) {
    // RFC 6749 §4.1.2: a code used twice revokes every token issued from it.
    const revoked = await deps.store.revokeSessionsOfCode(codeHash, now);
    deps.metrics.replayDetected('authorization_code');
    await deps.audit.record('authorization_code.replayed', found.organizationId, { applicationId: found.applicationId, presentedBy: application.id, revokedSessions: revoked });
    return new InvalidGrant('the authorization code was already used; the tokens issued from it are revoked');
  }
  if (found.applicationId !== application.id) return new InvalidGrant('the authorization code was issued to another client');
  if (found.expiresAt <= now) return new InvalidGrant('the authorization code has expired');
  if (found.redirectUri !== presented.redirectUri) return new InvalidGrant('redirect_uri does not match the authorization request');
  // RFC 9700 §4.8.2: a verifier for a code issued without a challenge is a PKCE downgrade attempt.
  if (found.codeChallenge === null && presented.codeChallenge !== null) return new InvalidGrant('code_verifier was sent, but the authorization request had no code_challenge');
  // RFC 7636 §4.6: a code issued with a challenge needs its verifier.
  if (found.codeChallenge !== null && presented.codeChallenge === null) return new InvalidGrant('code_verifier is required: the authorization request had a code_challenge');
  if (found.codeChallenge !== presented.codeChallenge) return new InvalidGrant('code_verifier does not match the code_challenge');
  return new InvalidGrant('the grant behind this code was revoked');
}
