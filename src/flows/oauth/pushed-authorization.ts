import { hashSecret } from '../../crypto/hash.js';
import { generateSecret } from '../../crypto/random.js';
import { PUSHED_AUTHORIZATION_REQUEST_TTL_SECONDS } from '../../protocol/lifetimes.js';
import { readDpopJktParameter } from '../../protocol/dpop.js';
import { InvalidDpopProof } from '../../protocol/dpop-errors.js';
import { InvalidRequest } from '../../protocol/oauth-errors.js';
import { REQUEST_URI_PREFIX, pushableParameters } from '../../protocol/pushed-authorization.js';
import type { Application } from '../../storage/store.js';
import type { FlowDeps } from '../deps.js';
import { RedirectableError, validateAuthorizationRequest } from './initiate.js';

/** RFC 9126 §2.2 success response. */
export interface PushedAuthorizationResponse {
  request_uri: string;
  expires_in: number;
}

/**
 * RFC 9126 §2: stores an authorization request an authenticated client pushed, after the rules of
 * the authorization endpoint (§2.1: the same validation); every error is answered here, as JSON
 * (§2.3), never by a redirect. The `request_uri` carries 256 random bits and is stored as its
 * SHA-256; it is single use and lives 60 s (SPEC §13).
 */
export async function pushAuthorizationRequest(
  deps: FlowDeps,
  application: Application,
  params: Record<string, string | undefined>,
  resources: readonly string[] = [],
  proofJkt?: string,
): Promise<PushedAuthorizationResponse> {
  // RFC 9126 §2.1: "The request_uri authorization request parameter is one exception, and it MUST NOT be provided."
  if (params.request_uri !== undefined) throw new InvalidRequest('request_uri must not be sent to the pushed authorization request endpoint');
  params = withProofKey(params, proofJkt);
  try {
    await validateAuthorizationRequest(deps, application, params, resources);
  } catch (error) {
    throw error instanceof RedirectableError ? error.error : error;
  }
  const now = deps.clock.now();
  const requestUri = REQUEST_URI_PREFIX + generateSecret('');
  await deps.store.createPushedAuthorizationRequest({
    requestUriHash: hashSecret(requestUri),
    organizationId: application.organizationId,
    applicationId: application.id,
    parameters: pushableParameters(params),
    resources: [...resources],
    createdAt: now,
    expiresAt: now + PUSHED_AUTHORIZATION_REQUEST_TTL_SECONDS * 1000,
    consumedAt: null,
  });
  await deps.audit.record('authorization.pushed', application.organizationId, { applicationId: application.id });
  return { request_uri: requestUri, expires_in: PUSHED_AUTHORIZATION_REQUEST_TTL_SECONDS };
}

/**
 * RFC 9449 §10.1: a DPoP proof sent to the PAR endpoint binds the code like `dpop_jkt`; with both,
 * they must name the same key ("the authorization server MUST ensure they match"). A malformed
 * `dpop_jkt` is invalid_request before any comparison.
 */
function withProofKey(params: Record<string, string | undefined>, proofJkt: string | undefined): Record<string, string | undefined> {
  const named = readDpopJktParameter(params.dpop_jkt);
  if (proofJkt === undefined) return params;
  if (named !== null && named !== proofJkt) throw new InvalidDpopProof('dpop_jkt does not match the key of the DPoP proof');
  return { ...params, dpop_jkt: proofJkt };
}
