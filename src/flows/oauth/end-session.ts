import { InvalidRequest } from '../../protocol/oauth-errors.js';
import { withQuery } from '../../protocol/redirect-uri.js';
import type { Application, Organization, Session } from '../../storage/store.js';
import { findApplicationByPublishableKey } from '../applications.js';
import type { FlowDeps } from '../deps.js';
import { isSessionInPool } from '../environments.js';
import { verifyIdTokenHint, type IdTokenHint } from './id-token-hint.js';
import { authenticateBearer } from './tokens.js';

/** The parameters of RP-Initiated Logout 1.0 §2 that a confirmation form carries through. */
export const END_SESSION_PARAMS = ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state'] as const;

/** A validated end-session request (RP-Initiated Logout 1.0 §2, SPEC §9). */
export interface EndSessionRequest {
  /** The verified `id_token_hint`, when one was sent. */
  hint: IdTokenHint | undefined;
  /** The client, identified by the hint's `aud` or by `client_id`. */
  application: Application | undefined;
  organization: Organization | undefined;
  /** A `post_logout_redirect_uri` registered for that client (never any other). */
  postLogoutRedirectUri: string | undefined;
  state: string | undefined;
  /** The parameters as sent (those of END_SESSION_PARAMS), for the confirmation form. */
  params: Partial<Record<(typeof END_SESSION_PARAMS)[number], string>>;
}

/**
 * Checks an end-session request before anything else happens. Every refusal is `invalid_request`
 * (400), shown to the person and never redirected, since the place to redirect to is what failed:
 * - RP-Initiated Logout 1.0 §2: an `id_token_hint` must be an ID token this server issued (expired
 *   ones are fine); a `client_id` sent with it must be its `aud`.
 * - §3: `post_logout_redirect_uri` must exactly match one registered for the client named by the hint
 *   or by `client_id`; without either there is no list to match it against.
 * `logout_hint` and `ui_locales` are accepted and not used (the pages are in English; the person is
 * told by the page who is signed in).
 */
export async function validateEndSessionRequest(deps: FlowDeps, params: Record<string, string>): Promise<EndSessionRequest> {
  const sent = Object.fromEntries(END_SESSION_PARAMS.filter((name) => params[name] !== undefined).map((name) => [name, params[name]!]));
  let hint: IdTokenHint | undefined;
  if (params.id_token_hint !== undefined) {
    hint = await verifyIdTokenHint(deps, params.id_token_hint);
    if (!hint) throw new InvalidRequest('id_token_hint is not an ID token issued by this server');
  }
  if (hint && params.client_id !== undefined && params.client_id !== hint.clientId) {
    throw new InvalidRequest('client_id is not the audience of id_token_hint');
  }
  const clientId = hint?.clientId ?? params.client_id;
  const application = clientId === undefined ? undefined : await findApplicationByPublishableKey(deps, clientId);
  if (clientId !== undefined && !application) throw new InvalidRequest('the client is unknown');

  const uri = params.post_logout_redirect_uri;
  if (uri !== undefined) {
    if (!application) throw new InvalidRequest('post_logout_redirect_uri needs id_token_hint or client_id to name the client it is registered for');
    // RP-Initiated Logout 1.0 §3: no redirection to a URI that does not exactly match a registered one.
    if (!application.postLogoutRedirectUris.includes(uri)) throw new InvalidRequest('post_logout_redirect_uri is not registered for this client');
  }
  const organization = application ? await deps.store.getOrganization(application.organizationId) : undefined;
  return { hint, application, organization, postLogoutRedirectUri: uri, state: params.state, params: sent };
}

/** The browser's live sign-in on the hosted pages (its cookie's login token), or undefined. */
export async function findBrowserSignIn(deps: FlowDeps, loginToken: string | undefined): Promise<Session | undefined> {
  if (!loginToken) return undefined;
  try {
    return (await authenticateBearer(deps, loginToken, ['login'])).session;
  } catch {
    return undefined;
  }
}

/**
 * What to do with the browser's sign-in (RP-Initiated Logout 1.0 §2, SPEC §9):
 * - `nothing`: no sign-in, or one that could never have served the client (another organization or
 *   environment, SPEC §1) — a client cannot end, or ask to end, a sign-in that is not its business;
 * - `end`: the request is attributed — the hint's `sid` is this sign-in, or its `sub` is the person
 *   signed in;
 * - `confirm`: anything else (no hint, a hint about someone else): the person is asked, since a
 *   logout request is easy to forge (§6, logout CSRF).
 */
export async function decideEndSession(deps: FlowDeps, request: EndSessionRequest, signIn: Session | undefined): Promise<'nothing' | 'end' | 'confirm'> {
  if (!signIn) return 'nothing';
  if (request.application && !(await isSessionInPool(deps, signIn, request.application))) return 'nothing';
  const { hint } = request;
  if (hint && (hint.sessionId === signIn.id || hint.subject === signIn.consumerId)) return 'end';
  return 'confirm';
}

/**
 * Ends the browser's sign-in: its login session and the OAuth token families it started for the
 * client (when one is named), in one transaction; then the `logout.end_session` audit event.
 */
export async function endBrowserSession(deps: FlowDeps, request: EndSessionRequest, signIn: Session, via: 'id_token_hint' | 'confirmation'): Promise<void> {
  const ended = await deps.store.endBrowserSession(signIn.id, request.application?.id ?? null, deps.clock.now());
  await deps.audit.record('logout.end_session', signIn.organizationId, {
    sessionId: signIn.id, consumerId: signIn.consumerId, applicationId: request.application?.id ?? null,
    familiesRevoked: ended.familiesRevoked, via,
  });
}

/**
 * RP-Initiated Logout 1.0 §2, SPEC §9: a verified `id_token_hint` names the sign-in (`sid`) the client
 * wants ended, even when this browser no longer holds it (the login cookie lives hours, the client's
 * refresh tokens months; or the logout comes from another browser). The client's own token families
 * of that sign-in end at once — only the client that received the ID token, only its person's — and
 * the sign-in itself is left to the browser that holds it (a leaked ID token must not sign a person
 * out everywhere). Nothing happens when the hint has no `sid` or names this browser's sign-in (that
 * one is ended whole, by endBrowserSession).
 */
export async function endHintedFamilies(deps: FlowDeps, request: EndSessionRequest, signIn: Session | undefined): Promise<void> {
  const { hint, application } = request;
  if (!hint?.sessionId || !application || hint.sessionId === signIn?.id) return;
  const revoked = await deps.store.revokeBrowserSessionFamilies(hint.sessionId, application.id, hint.subject, deps.clock.now());
  if (revoked === 0) return;
  await deps.audit.record('logout.end_session', application.organizationId, {
    sessionId: hint.sessionId, consumerId: hint.subject, applicationId: application.id, familiesRevoked: revoked, via: 'id_token_hint',
  });
}

/** Who the confirmation page says is signed in. */
export async function describeSignIn(deps: FlowDeps, signIn: Session): Promise<{ userLabel: string; organization: Organization | undefined }> {
  const [consumer, organization] = await Promise.all([deps.store.getConsumer(signIn.consumerId), deps.store.getOrganization(signIn.organizationId)]);
  return { userLabel: consumer?.email ?? consumer?.phone ?? 'your account', organization };
}

/** RP-Initiated Logout 1.0 §3: the registered URI, with `state` when the client sent one. */
export function postLogoutRedirect(request: EndSessionRequest): string | undefined {
  return request.postLogoutRedirectUri && withQuery(request.postLogoutRedirectUri, { state: request.state });
}
