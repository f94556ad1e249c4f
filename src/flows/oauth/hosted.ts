import { AccessDenied, type OAuthError } from '../../protocol/oauth-errors.js';
import { hasPrompt, signInProblem } from '../../protocol/oidc-request.js';
import { withQuery } from '../../protocol/redirect-uri.js';
import { consentScope } from '../../protocol/openid-claims.js';
import { isScopeSubset } from '../../protocol/scopes.js';
import type { Application, AuthorizationRequest, Consumer, Organization, Session } from '../../storage/store.js';
import { findUsableApplication } from '../applications.js';
import type { FlowDeps } from '../deps.js';
import { isInPool, isSessionInPool } from '../environments.js';
import { issueAuthorizationCode } from './authorize.js';

export type HostedRequest =
  | { status: 'pending'; request: AuthorizationRequest; application: Application; organization: Organization }
  | { status: 'finished'; request: AuthorizationRequest; application: Application; organization: Organization };

/** The authorization session behind a hosted page, and whether it can still be completed. */
export async function loadHostedRequest(deps: FlowDeps, requestId: string): Promise<HostedRequest | undefined> {
  const request = await deps.store.getAuthorizationRequest(requestId);
  if (!request) return undefined;
  const [application, organization] = await Promise.all([
    // SPEC §10: a request of an application disabled since it was made is finished.
    findUsableApplication(deps, request.applicationId),
    deps.store.getOrganization(request.organizationId),
  ]);
  if (!application || !organization) return undefined;
  const isPending = request.consumedAt === null && request.expiresAt > deps.clock.now();
  return { status: isPending ? 'pending' : 'finished', request, application, organization };
}

/** A user of the hosted pages' organization (who the consent page names, whose phone gets the second factor). */
export async function findHostedUser(deps: FlowDeps, hosted: HostedRequest, consumerId: string): Promise<Consumer | undefined> {
  const consumer = await deps.store.getConsumer(consumerId);
  return consumer && isInPool(consumer, hosted.application) ? consumer : undefined;
}

/**
 * The browser's sign-in (its login session) carries over to this authorization only within one
 * organization and environment (SPEC §1, §7): a test sign-in never answers for a live client.
 */
export function isInHostedPool(deps: FlowDeps, hosted: HostedRequest, session: Session): Promise<boolean> {
  return isSessionInPool(deps, session, hosted.application);
}

/**
 * Why the browser's sign-in cannot answer this request although it is live and of this pool — the
 * OpenID Connect Core §3.1.2.1 `prompt=login`, `max_age` and `id_token_hint` rules (see
 * signInProblem) — or undefined. Its `createdAt` is when the person authenticated (`auth_time`).
 */
export function signInMismatch(deps: FlowDeps, hosted: HostedRequest, session: Session): string | undefined {
  return signInProblem(hosted.request, { consumerId: session.consumerId, authenticatedAt: session.createdAt }, deps.clock.now());
}

/**
 * SPEC §7: consent is asked unless the application is first-party (configuration) or the user's
 * live grant to it already covers every requested scope (remembered consent; withdrawn by revoking).
 * OpenID Connect Core §3.1.2.1 `prompt=consent` asks again even when remembered (SPEC §9) — but a
 * first-party application still skips it: it is the operator's own, and there is no third party to
 * consent to.
 */
export async function needsConsent(deps: FlowDeps, application: Application, consumerId: string, request: Pick<AuthorizationRequest, 'scope' | 'prompt' | 'claims'>): Promise<boolean> {
  // SPEC §13: a client nobody registered by hand is asked about every time — never first-party, never remembered.
  if (application.registration !== 'manual') return true;
  if (application.isFirstParty) return false;
  if (hasPrompt(request.prompt, 'consent')) return true;
  const grant = await deps.store.findLiveGrant(application.id, consumerId);
  // The claims the `claims` parameter asks for count like the scopes that hold them (consentScope).
  return !grant || !isScopeSubset(consentScope(request.scope, request.claims).split(' ').filter(Boolean), grant.scope.split(' '));
}

/**
 * Ends a hosted authorization with an error and no page (OpenID Connect Core §3.1.2.6, `prompt=none`):
 * the request is consumed so it answers once, and the browser goes back to the client with `error`,
 * `state` when sent and `iss` (RFC 6749 §4.1.2.1; RFC 9207). Undefined when it is no longer pending.
 */
export async function failHostedAuthorization(deps: FlowDeps, hosted: HostedRequest, error: OAuthError): Promise<string | undefined> {
  const request = await deps.store.consumeAuthorizationRequest(hosted.request.id, hosted.application.id, deps.clock.now());
  if (!request) return undefined;
  await deps.audit.record('authorization.denied', hosted.application.organizationId, { applicationId: hosted.application.id, error: error.code });
  return deniedRedirect(deps, request, error);
}

/**
 * Ends a hosted authorization: the request is consumed (single use, one conditional write) and the
 * browser is sent back to the client with a code (written in the same transaction, issue 12.1) — or,
 * on deny, `error=access_denied` — with `state`
 * and `iss` (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207). Returns undefined when the request is no longer
 * pending (used in another tab, or expired).
 */
export async function finishHostedAuthorization(
  deps: FlowDeps,
  hosted: HostedRequest,
  user: Session,
  decision: 'approve' | 'deny',
): Promise<string | undefined> {
  if (decision === 'approve') return (await issueAuthorizationCode(deps, hosted.application, hosted.request.id, user))?.url;
  const request = await deps.store.consumeAuthorizationRequest(hosted.request.id, hosted.application.id, deps.clock.now());
  if (!request) return undefined;
  await deps.audit.record('authorization.denied', hosted.application.organizationId, { applicationId: hosted.application.id, consumerId: user.consumerId });
  return deniedRedirect(deps, request, new AccessDenied('the user denied the request'));
}

/** The client's redirect URI carrying an error (the "way back to the app" of an expired session too). */
export function deniedRedirect(deps: FlowDeps, request: AuthorizationRequest, error: OAuthError): string {
  return withQuery(request.redirectUri, { error: error.code, error_description: error.message, state: request.state, iss: deps.issuer });
}
