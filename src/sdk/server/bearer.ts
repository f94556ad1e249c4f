import { DPOP_ALGORITHMS, memoryReplayCache, verifyDpopProof, type DpopReplayCache } from './dpop.js';
import { verifyAccessToken, type AccessTokenClaims, type VerifyAccessTokenOptions } from './verify.js';

export interface BearerOptions extends VerifyAccessTokenOptions {
  /** The `realm` of the challenge (RFC 6750 §3); default `api`. */
  realm?: string;
  /**
   * RFC 9728 §5.1: the URL of the API's protected-resource metadata, sent in every challenge as
   * `resource_metadata` so that a client can discover the authorization server from a 401.
   */
  resourceMetadata?: string;
  /**
   * RFC 9449 §11.1: where DPoP proof `jti`s are remembered. Default: this process's memory (one
   * cache per process), which suffices for one instance; several instances need a shared one.
   */
  dpopReplayCache?: DpopReplayCache;
  /** How far a DPoP proof's `iat` may be from now, either way (default 60 s). */
  dpopProofWindowSeconds?: number;
}

/** Options of the hono and Express middleware. */
export interface MiddlewareOptions extends BearerOptions {
  /**
   * The origin clients call this API at (`https://api.example`), for DPoP proofs' `htu` when a proxy
   * stands in front; default: the request's own URL (hono) or `http://<Host>` (Express).
   */
  publicOrigin?: string;
}

/** The parts of an HTTP request a DPoP proof is checked against (RFC 9449 §4.3). */
export interface DpopRequest {
  method: string;
  /** The URL the client called (behind a proxy: the public one). */
  url: string;
  /** The `DPoP` header, if sent. */
  dpop: string | undefined;
}

export type BearerOutcome =
  | { ok: true; claims: AccessTokenClaims; token: string }
  | { ok: false; status: 401; headers: Record<string, string>; body: { error: string; error_description: string } };

/** A quoted-string value of the challenge: RFC 6750 §3 allows %x20-21 / %x23-5B / %x5D-7E only. */
const quoted = (value: string) => `"${value.replace(/[^\x20-\x7e]|["\\]/g, '')}"`;

const defaultReplayCache = memoryReplayCache();

/**
 * RFC 6750 §2.1 and §3, with RFC 9449 §7: reads `Authorization: Bearer <token>` (or `DPoP <token>`)
 * and verifies it. A request without a token gets a challenge with no error code (§3.1: "SHOULD NOT
 * include an error code"); a bad token gets `error="invalid_token"`. A DPoP-bound token (`cnf.jkt`)
 * is accepted only as `Authorization: DPoP` with a valid proof by its key for this request, which
 * needs `request`; never as a bearer token (RFC 9449 §7.2). All refusals are 401.
 */
export async function authenticateBearer(authorization: string | undefined, options: BearerOptions, request?: DpopRequest): Promise<BearerOutcome> {
  const realm = `realm=${quoted(options.realm ?? 'api')}${options.resourceMetadata ? `, resource_metadata=${quoted(options.resourceMetadata)}` : ''}`;
  const match = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization ?? '');
  if (!match) {
    return {
      ok: false, status: 401, headers: { 'www-authenticate': `Bearer ${realm}` },
      body: { error: 'authentication_required', error_description: 'a bearer access token is required' },
    };
  }
  const scheme = match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
  const token = match[2]!;
  const refuse = (error: 'invalid_token' | 'invalid_dpop_proof', description: string, challenge: 'Bearer' | 'DPoP'): BearerOutcome => ({
    ok: false, status: 401,
    headers: {
      'www-authenticate': `${challenge} ${realm}, error="${error}", error_description=${quoted(description)}${challenge === 'DPoP' ? `, algs="${DPOP_ALGORITHMS.join(' ')}"` : ''}`,
    },
    body: { error, error_description: description },
  });
  let claims;
  try {
    claims = await verifyAccessToken(token, options);
  } catch (error) {
    return refuse('invalid_token', error instanceof Error ? error.message : 'invalid access token', scheme);
  }
  const cnf = (claims as { cnf?: { jkt?: unknown } }).cnf;
  const jkt = typeof cnf?.jkt === 'string' ? cnf.jkt : undefined;
  if (jkt === undefined) {
    if (scheme === 'DPoP') return refuse('invalid_token', 'this access token is not DPoP-bound: send it as a Bearer token', 'DPoP');
    return { ok: true, claims, token };
  }
  // RFC 9449 §7.2: a bound token presented as a bearer token would work for whoever stole it.
  if (scheme !== 'DPoP') return refuse('invalid_token', 'this access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof', 'DPoP');
  if (!request) return refuse('invalid_token', 'this resource cannot check DPoP proofs', 'DPoP');
  if (!request.dpop || request.dpop.includes(',')) return refuse('invalid_dpop_proof', 'send exactly one DPoP proof with a DPoP-bound access token', 'DPoP');
  try {
    await verifyDpopProof(request.dpop.trim(), {
      method: request.method, url: request.url, accessToken: token, jkt,
      replayCache: options.dpopReplayCache ?? defaultReplayCache,
      ...(options.dpopProofWindowSeconds !== undefined ? { proofWindowSeconds: options.dpopProofWindowSeconds } : {}),
      ...(options.currentDate ? { currentDate: options.currentDate } : {}),
    });
  } catch (error) {
    return refuse('invalid_dpop_proof', error instanceof Error ? error.message : 'invalid DPoP proof', 'DPoP');
  }
  return { ok: true, claims, token };
}
