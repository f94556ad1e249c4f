import { generateId } from '../../crypto/random.js';
import { AUTHORIZATION_SESSION_TTL_SECONDS } from '../../protocol/lifetimes.js';
import {
  InvalidRequest, InvalidScope, OAuthError, RequestNotSupported, RequestUriNotSupported, UnsupportedResponseType,
} from '../../protocol/oauth-errors.js';
import { isClientIdUrl } from '../../protocol/client-metadata-document.js';
import { CODE_CHALLENGE_PATTERN } from '../../protocol/pkce.js';
import { readDpopJktParameter } from '../../protocol/dpop.js';
import { isRegisteredRedirectUri } from '../../protocol/redirect-uri.js';
import { readClaimsRequest, requestedSubject } from '../../protocol/claims-request.js';
import { isPushedRequestUri } from '../../protocol/pushed-authorization.js';
import { checkRequestedResources } from '../../protocol/resource-indicators.js';
import { checkDisplay, checkResponseMode, readLoginHint, readMaxAge, readPrompt } from '../../protocol/oidc-request.js';
import { parseScope, resolveRequestedScopes } from '../../protocol/scopes.js';
import type { Application, AuthorizationRequest } from '../../storage/store.js';
import { findApplicationByPublishableKey } from '../applications.js';
import type { FlowDeps } from '../deps.js';
import { resolveMetadataDocumentClient } from './client-metadata-documents.js';
import { verifyIdTokenHint } from './id-token-hint.js';
import { redeemRequestUri } from './request-uri.js';
import { signAuthorizationSession } from './tokens.js';

/**
 * An error found after the client and its redirect URI were verified: RFC 6749 §4.1.2.1 lets it go
 * back to the client's redirect URI (hosted mode) — before that point it never may (RFC 9700 §4.11).
 */
export class RedirectableError extends Error {
  constructor(
    readonly error: OAuthError,
    readonly redirectUri: string,
    readonly state: string | undefined,
    /** The request's effective `mode` (a pushed request's own, RFC 9126 §4) is `api`: SPEC §6.1 answers JSON. */
    readonly isApiMode = false,
  ) {
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

/** An authorization request whose every parameter passed its rules, ready to be stored. */
export interface ValidatedAuthorizationRequest {
  redirectUri: string;
  state: string | undefined;
  checked: CheckedParameters;
}

/**
 * The rules of an authorization request for a known client (SPEC §6.1), shared by the authorization
 * endpoint and the pushed authorization request endpoint (RFC 9126 §2.1: "validated like an
 * authorization request"). The redirect URI is verified first (errors: InvalidRequest, never a
 * redirect); every other problem is a RedirectableError.
 */
export async function validateAuthorizationRequest(
  deps: FlowDeps,
  application: Application,
  params: Record<string, string | undefined>,
  resources: readonly string[],
): Promise<ValidatedAuthorizationRequest> {
  const redirectUri = params.redirect_uri;
  if (!redirectUri) throw new InvalidRequest('the redirect_uri parameter is required');
  // RFC 6749 §3.1.2.3, RFC 8252 §7.3: exact match, loopback IP ports excepted.
  if (!isRegisteredRedirectUri(application.redirectUris, redirectUri)) {
    throw new InvalidRequest('redirect_uri is not registered for this client');
  }
  // SPEC §6.1, RFC 6749 §4.1.1: `state` is optional (RECOMMENDED); when sent it comes back exactly,
  // errors included (RFC 6749 §4.1.2.1).
  const state = params.state;
  try {
    return { redirectUri, state, checked: await checkParameters(deps, application, params, resources) };
  } catch (error) {
    if (error instanceof OAuthError) throw new RedirectableError(error, redirectUri, state);
    throw error;
  }
}

/**
 * SPEC §6.1 step 1: verifies the client and redirect URI first (errors: JSON, never a redirect),
 * then every other parameter (errors: RedirectableError), then records the request and signs the
 * 10-minute authorization session. A `request_uri` (RFC 9126 §4) stands for the parameters its
 * client pushed; an application that requires PAR accepts nothing else.
 */
export async function initiateAuthorization(
  deps: FlowDeps,
  frontChannel: Record<string, string | undefined>,
  headerClientKey: string | undefined,
  frontChannelResources: readonly string[] = [],
): Promise<InitiatedAuthorization> {
  if (frontChannel.client_id && headerClientKey && frontChannel.client_id !== headerClientKey) {
    throw new InvalidRequest('client_id and the x-client-key header name different clients');
  }
  const clientId = frontChannel.client_id || headerClientKey;
  if (!clientId) throw new InvalidRequest('the client_id parameter is required');
  // SPEC §13: an https client_id names a Client ID Metadata Document, fetched here.
  const application = isClientIdUrl(clientId) ? await resolveMetadataDocumentClient(deps, clientId) : await findApplicationByPublishableKey(deps, clientId);
  if (!application) throw new InvalidRequest('unknown client_id');
  // RFC 9126 §4: a `request_uri` of the PAR endpoint stands for the pushed parameters. Any other
  // `request_uri` (a request object by reference, Core §6.2) stays and is refused by the rules below.
  const isPushed = isPushedRequestUri(frontChannel.request_uri);
  const { params, resources } = isPushed
    ? await redeemRequestUri(deps, application, frontChannel)
    : { params: frontChannel, resources: frontChannelResources };

  // SPEC §6.1: in API mode every error is JSON. The mode is the effective request's — for a pushed
  // request its pushed `mode` unless the front channel names one — not the front channel's alone.
  const isApiMode = params.mode === 'api';
  let validated: ValidatedAuthorizationRequest;
  try {
    validated = await validateAuthorizationRequest(deps, application, params, resources);
  } catch (error) {
    if (error instanceof RedirectableError) throw new RedirectableError(error.error, error.redirectUri, error.state, isApiMode);
    throw error;
  }
  const { redirectUri, state, checked } = validated;
  // RFC 9126 §4: an application that requires PAR refuses, with invalid_request, a request that
  // did not come through it. Checked once the redirect URI is known to be the client's.
  if (application.requirePushedAuthorizationRequests && !isPushed) {
    throw new RedirectableError(new InvalidRequest('this client must push its authorization requests (PAR, RFC 9126)'), redirectUri, state, isApiMode);
  }

  const now = deps.clock.now();
  const request: AuthorizationRequest = {
    id: generateId('azr_', now),
    organizationId: application.organizationId,
    applicationId: application.id,
    redirectUri,
    state: state ?? null,
    ...checked,
    createdAt: now,
    expiresAt: now + AUTHORIZATION_SESSION_TTL_SECONDS * 1000,
    consumedAt: null,
  };
  await deps.store.createAuthorizationRequest(request);
  await deps.audit.record('authorization.requested', application.organizationId, { applicationId: application.id, requestId: request.id });
  const token = await signAuthorizationSession(deps, request, application);
  return { token, url: hostedPageUrl(deps.issuer, request.id), request, application, isApiMode };
}

/** Every parameter of an authorization request but the client and its redirect URI, as stored. */
export type CheckedParameters = Pick<AuthorizationRequest, 'codeChallenge' | 'scope' | 'nonce' | 'prompt' | 'maxAge' | 'loginHint' | 'idTokenHintSubject' | 'claims' | 'resources' | 'dpopJkt'>;

/**
 * The authorization request's rules once the client and redirect URI are known (RFC 6749 §4.1.1,
 * RFC 7636 §4.3, OpenID Connect Core §3.1.2.1). Throws the OAuthError the client is sent back.
 */
async function checkParameters(
  deps: FlowDeps,
  application: Application,
  params: Record<string, string | undefined>,
  resources: readonly string[],
): Promise<CheckedParameters> {
  // RFC 9700 §2.1.2: the authorization code is the only response type.
  if (params.response_type !== 'code') throw new UnsupportedResponseType('response_type must be code');
  // SPEC §6.1: state is at most 512 characters.
  if (params.state !== undefined && params.state.length > 512) throw new InvalidRequest('state must be at most 512 characters');
  // Core §6.1 / §6.2, SPEC §9: no request objects, by value or by reference. A `request_uri` of PAR
  // (SPEC §13) was replaced by its parameters before these rules; the PAR endpoint refuses one inside
  // pushed parameters (RFC 9126 §2.1).
  if (params.request !== undefined) throw new RequestNotSupported('the request parameter is not supported');
  if (params.request_uri !== undefined) throw new RequestUriNotSupported('the request_uri parameter is not supported');
  checkResponseMode(params.response_mode);
  const scope = checkScope(application, params.scope);
  const codeChallenge = checkCodeChallenge(application, params, scope);
  if (params.nonce !== undefined && params.nonce.length > 512) throw new InvalidRequest('nonce must be at most 512 characters');
  if (params.mode !== undefined && params.mode !== 'api') throw new InvalidRequest('mode must be api when present');
  // SPEC §13: API mode draws the client's own login screen (the person's password) and has no consent page.
  if (params.mode === 'api' && application.registration !== 'manual') throw new InvalidRequest('mode=api is only for registered applications; this client uses the hosted pages');
  // Core §3.1.2.1: `ui_locales`, `claims_locales` and `acr_values` are accepted and ignored (the pages
  // speak one language; there is one authentication level); `display` must be a known value.
  checkDisplay(params.display);
  return {
    codeChallenge,
    scope,
    nonce: params.nonce ?? null,
    prompt: readPrompt(params.prompt),
    maxAge: readMaxAge(params.max_age),
    loginHint: readLoginHint(params.login_hint),
    // RFC 8707 §2: absolute URIs without fragment, each listed for the application; invalid_target otherwise.
    // Clients nobody registered by hand may ask for the resources the operator listed for all of them.
    resources: checkRequestedResources(resources, application.registration === 'manual' ? application.resources : deps.clientRegistration.resources),
    // RFC 9449 §10: the code will be redeemed only with a proof by this key.
    dpopJkt: readDpopJktParameter(params.dpop_jkt),
    ...(await readSubjectRules(deps, application, params)),
  };
}

/**
 * RFC 7636 §4.3, RFC 9700 §2.1.1, SPEC §6.1: S256 only (`plain` is refused); a public client must
 * always send a challenge, a confidential one unless it was registered with PKCE optional (it then
 * relies on the OpenID Connect `nonce`). A challenge that is sent is always checked and enforced.
 */
function checkCodeChallenge(application: Application, params: Record<string, string | undefined>, scope: string): string | null {
  const { code_challenge: challenge, code_challenge_method: method } = params;
  if (challenge === undefined) {
    if (method !== undefined) throw new InvalidRequest('code_challenge_method was sent without a code_challenge');
    if (application.type === 'public' || application.pkcePolicy !== 'optional') throw new InvalidRequest('code_challenge is required (PKCE, S256)');
    // RFC 9700 §2.1.1 lets a confidential client replace PKCE with the OpenID Connect `nonce` — which
    // exists only for an OpenID Connect request. A plain OAuth request still needs PKCE.
    if (!scope.split(' ').includes('openid')) throw new InvalidRequest('code_challenge is required unless the request is an OpenID Connect request (scope openid)');
    return null;
  }
  // RFC 7636 §4.3: an absent method means plain, which is refused like an explicit one.
  if (method !== 'S256') throw new InvalidRequest('code_challenge_method must be S256 (plain is refused)');
  if (!CODE_CHALLENGE_PATTERN.test(challenge)) throw new InvalidRequest('code_challenge must be 43 base64url characters');
  return challenge;
}

/** RFC 6749 §3.3 and OpenID Connect Core §3.1.2.1 (see resolveRequestedScopes). */
function checkScope(application: Application, scope: string | undefined): string {
  const requested = parseScope(scope ?? '');
  if (!requested) throw new InvalidScope('scope is malformed');
  const resolved = resolveRequestedScopes(requested, application.allowedScopes);
  if ('refused' in resolved) throw new InvalidScope(`scope ${resolved.refused} is not allowed for this client`);
  return resolved.scopes.join(' ');
}

/**
 * Who the request may be answered for: the subject of `id_token_hint` and the `sub` value of the
 * `claims` request (Core §5.5.1) must agree; either one binds the sign-in to that person. The
 * `claims` request keeps only claims of scopes this client may use.
 */
async function readSubjectRules(
  deps: FlowDeps,
  application: Application,
  params: Record<string, string | undefined>,
): Promise<Pick<AuthorizationRequest, 'idTokenHintSubject' | 'claims'>> {
  const claims = readClaimsRequest(params.claims, application.allowedScopes);
  const hinted = await readIdTokenHint(deps, application, params.id_token_hint);
  const asked = requestedSubject(claims);
  if (hinted !== null && asked !== null && hinted !== asked) throw new InvalidRequest('id_token_hint and the sub claim request name different people');
  return { idTokenHintSubject: hinted ?? asked, claims };
}

/**
 * Core §3.1.2.1 `id_token_hint`: an ID token this server issued to this client (expired ones too);
 * anything else is `invalid_request`. Its subject is kept: the sign-in must be that person's.
 */
async function readIdTokenHint(deps: FlowDeps, application: Application, value: string | undefined): Promise<string | null> {
  if (value === undefined) return null;
  const hint = await verifyIdTokenHint(deps, value);
  if (!hint) throw new InvalidRequest('id_token_hint is not an ID token issued by this server');
  if (hint.clientId !== application.publishableKey) throw new InvalidRequest('id_token_hint was issued to another client');
  return hint.subject;
}
