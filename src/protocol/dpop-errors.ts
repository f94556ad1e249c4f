import { ApiError } from './errors.js';
import { OAuthError } from './oauth-errors.js';

/**
 * RFC 9449 §5, §7.1: the DPoP proof is missing where required, malformed, not for this request,
 * replayed, or by another key than the token's. 400 at the token endpoint (RFC 6749 §5.2 shape).
 */
export class InvalidDpopProof extends OAuthError {
  readonly status = 400;
  readonly code = 'invalid_dpop_proof';
}

/**
 * RFC 9449 §8: the proof must carry the server's current nonce — 400 `use_dpop_nonce` with a fresh
 * nonce in `DPoP-Nonce`, which the client puts in a new proof and retries with.
 */
export class UseDpopNonce extends OAuthError {
  readonly status = 400;
  readonly code = 'use_dpop_nonce';
  constructor(message: string, nonce: string) {
    super(message);
    this.headers['DPoP-Nonce'] = nonce;
  }
}

/**
 * RFC 9449 §7.1 at a protected resource (UserInfo, `/v1/user`): 401 with a `DPoP` challenge naming
 * the error and the algorithms accepted; `invalid_token` for a DPoP-bound token sent as a bearer
 * token or under a proof of another key, `invalid_dpop_proof` for a bad proof.
 */
export class DpopResourceRefused extends OAuthError {
  readonly status = 401;
  readonly code: 'invalid_token' | 'invalid_dpop_proof';
  constructor(code: 'invalid_token' | 'invalid_dpop_proof', message: string, algorithms: readonly string[], options: { cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
    this.headers['WWW-Authenticate'] = `DPoP realm="latchkey", error="${code}", error_description="${message.replace(/["\\]/g, '')}", algs="${algorithms.join(' ')}"`;
  }
}

/** SPEC §3 consumer-API shape of a refused DPoP proof: 400 `{ error: "invalid_dpop_proof", message }`. */
export class ConsumerInvalidDpopProof extends ApiError {
  readonly status = 400;
  readonly code = 'invalid_dpop_proof';
}

/** RFC 9449 §7.1 at a consumer-API endpoint: 401 `{ error, message }` with a `DPoP` challenge. */
export class ConsumerDpopRefused extends ApiError {
  readonly status = 401;
  readonly code: 'invalid_token' | 'invalid_dpop_proof';
  constructor(code: 'invalid_token' | 'invalid_dpop_proof', message: string, algorithms: readonly string[], options: { cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
    this.headers['WWW-Authenticate'] = `DPoP realm="latchkey", error="${code}", error_description="${message.replace(/["\\]/g, '')}", algs="${algorithms.join(' ')}"`;
  }
}
