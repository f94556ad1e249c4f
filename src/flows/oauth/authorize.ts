import { hashSecret } from '../../crypto/hash.js';
import { generateId, generateSecret } from '../../crypto/random.js';
import { AUTHORIZATION_CODE_TTL_SECONDS } from '../../protocol/lifetimes.js';
import { InvalidGrant, LoginRequired } from '../../protocol/oauth-errors.js';
import { signInProblem } from '../../protocol/oidc-request.js';
import { consentScope } from '../../protocol/openid-claims.js';
import { withQuery } from '../../protocol/redirect-uri.js';
import type { Application, AuditEvent, Session } from '../../storage/store.js';
import type { FlowDeps } from '../deps.js';
import { isSessionInPool } from '../environments.js';
import { AUTHORIZATION_SESSION_TYP, type BearerPrincipal } from './tokens.js';

/** SPEC §6.3 response (seed 001). */
export interface AuthorizationResponse {
  url: string;
  code: string;
  /** Absent when step 1 sent no `state` (SPEC §6.1: echoed exactly when sent). */
  state?: string;
}

/**
 * SPEC §6.3 step 3: the authorization session of step 1 (valid, unexpired, unused, this client's)
 * plus a live login token of the same organization → the grant is recorded and a 60-second code,
 * bound to client, redirect URI, PKCE challenge, user and scope, goes back with `state` and `iss`
 * (RFC 9207).
 */
export async function authorizeRequest(deps: FlowDeps, application: Application, login: BearerPrincipal, sessionToken: string): Promise<AuthorizationResponse> {
  let payload;
  try {
    payload = await deps.keyring.verify(sessionToken, { issuer: deps.issuer, audience: deps.issuer, typ: AUTHORIZATION_SESSION_TYP, requiredClaims: ['jti', 'exp'] });
  } catch (error) {
    throw new InvalidGrant('the authorization session token is invalid or expired', { cause: error });
  }
  if (payload.client_id !== application.publishableKey) throw new InvalidGrant('the authorization session was issued to another client');
  const user = login.session!;
  if (user.organizationId !== application.organizationId) throw new InvalidGrant('the login token belongs to another organization');
  // Stricter than SPEC §6.3's "same organization": in API mode the app holds the user's login token,
  // so a token issued to one client must not mint codes (and scopes) of another.
  if (login.payload.client_id !== application.publishableKey) throw new InvalidGrant('the login token was issued to another client');

  // OpenID Connect Core §3.1.2.1 in API mode: no page can ask for a new sign-in, so a login token
  // that cannot answer the request (`prompt=login` or `max_age` wanting a newer sign-in, another
  // person than `id_token_hint` names) is `login_required` (Core §3.1.2.6), a 400 in the error shape
  // of SPEC §3. The request stays usable: the app may sign the person in again and retry.
  // `prompt=none` needs nothing here — the app already holds the login token.
  const request = await deps.store.getAuthorizationRequest(payload.jti!);
  const problem = request?.consumedAt === null && signInProblem(request, { consumerId: user.consumerId, authenticatedAt: user.createdAt }, deps.clock.now());
  if (problem) throw new LoginRequired(problem);

  const issued = await issueAuthorizationCode(deps, application, payload.jti!, user);
  if (!issued) throw new InvalidGrant('the authorization session was already used or has expired');
  return issued;
}

/**
 * Redeems the authorization request of step 1 (single use) and, in the same transaction (issue
 * 12.1), records the grant (user, application, scopes) and mints its 60-second code — so a crash
 * never leaves the request used with no code. Shared by API mode (step 3) and the hosted consent
 * page. Undefined when the request is no longer pending (used, expired, another client's).
 */
export async function issueAuthorizationCode(
  deps: FlowDeps,
  application: Application,
  requestId: string,
  user: Session,
): Promise<AuthorizationResponse | undefined> {
  // SPEC §1: a sign-in of one environment never mints a grant or code of the other.
  if (!(await isSessionInPool(deps, user, application))) throw new InvalidGrant('the sign-in belongs to another organization or environment');
  const now = deps.clock.now();
  const code = generateSecret('ac_');
  let auditEvents: readonly AuditEvent[] = [];
  const redeemed = await deps.store.redeemAuthorizationRequest(
    { id: requestId, applicationId: application.id, now },
    {
      grant: (request) => ({
        id: generateId('grt_', now), organizationId: application.organizationId, applicationId: application.id, consumerId: user.consumerId,
        // What the person approved: the scopes, and those whose claims `claims` asks for (SPEC §7).
        scope: consentScope(request.scope, request.claims), createdAt: now, updatedAt: now, revokedAt: null,
      }),
      code: (request, grant) => {
        auditEvents = [deps.audit.prepare('authorization_code.issued', application.organizationId, { applicationId: application.id, consumerId: user.consumerId, grantId: grant.id })];
        return {
          code: {
            codeHash: hashSecret(code), organizationId: application.organizationId, applicationId: application.id, consumerId: user.consumerId,
            grantId: grant.id, redirectUri: request.redirectUri, codeChallenge: request.codeChallenge, scope: request.scope, nonce: request.nonce,
            resources: request.resources ?? [],
            // RFC 9449 §10: the code is redeemed only with a proof by the key the request named.
            ...(request.dpopJkt ? { dpopJkt: request.dpopJkt } : {}),
            authTime: user.createdAt, browserSessionId: user.id, claims: request.claims, createdAt: now, expiresAt: now + AUTHORIZATION_CODE_TTL_SECONDS * 1000, consumedAt: null,
          },
          auditEvents,
        };
      },
    },
  );
  if (!redeemed) return undefined;
  deps.audit.committed(auditEvents);
  deps.metrics.tokenIssued('authorization_code');
  const { request } = redeemed;
  // RFC 9207: `iss` goes back with the code.
  return { url: withQuery(request.redirectUri, { code, state: request.state, iss: deps.issuer }), code, ...(request.state !== null ? { state: request.state } : {}) };
}
