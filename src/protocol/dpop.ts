import { createHash } from 'node:crypto';
import { InvalidRequest } from './oauth-errors.js';

/**
 * RFC 9449 §5.1 `dpop_signing_alg_values_supported`: the asymmetric JWS algorithms a DPoP proof may
 * use (§4.3 check 5: never `none`, never a symmetric one). What jose verifies from an embedded JWK.
 */
export const DPOP_SIGNING_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'] as const;

/** RFC 9449 §4.2 `typ` of a DPoP proof JWT. */
export const DPOP_PROOF_TYP = 'dpop+jwt';

/**
 * RFC 9449 §4.3 check 11, §11.1: a proof is accepted within this many seconds of its `iat`, either
 * way (clients' clocks drift; a server nonce bounds it further at the token endpoint). A proof's
 * `jti` is kept for as long, so a replay is caught for as long as the proof would be accepted.
 */
export const DPOP_PROOF_WINDOW_SECONDS = 60;

/** JWK members that only a private (or symmetric) key has; a proof's `jwk` carries none (§4.3 check 7). */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/**
 * RFC 9449 §4.3 check 9: `htu` is compared without its query and fragment, after the syntax-based
 * normalization of RFC 3986 §6.2.2–6.2.3: scheme and host case, default port, empty path and dot
 * segments (the WHATWG URL parser), and percent-encoding (§6.2.2.1–6.2.2.2, which the parser leaves
 * alone: `%7E` and `~`, `%2f` and `%2F` name the same URL). Undefined for a value that is not an
 * absolute http(s) URL.
 */
export function normalizeHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  url.search = '';
  url.hash = '';
  return normalizePercentEncoding(url.href);
}

/** RFC 3986 §6.2.2.2: percent-encoded unreserved characters decoded; §6.2.2.1: other escapes in uppercase. */
export function normalizePercentEncoding(value: string): string {
  return value.replace(/%[0-9A-Fa-f]{2}/g, (escape) => {
    const character = String.fromCharCode(Number.parseInt(escape.slice(1), 16));
    return /^[A-Za-z0-9\-._~]$/.test(character) ? character : escape.toUpperCase();
  });
}

/** RFC 9449 §4.2 `ath`: base64url SHA-256 of the access token's ASCII octets. */
export function accessTokenHashForDpop(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/**
 * RFC 9449 §10: the `dpop_jkt` authorization request parameter — the base64url SHA-256 JWK
 * thumbprint (RFC 7638) of the key the code will be redeemed with: 43 base64url characters.
 * Null when not sent; invalid_request when malformed.
 */
export function readDpopJktParameter(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!/^[A-Za-z0-9_-]{43}$/.test(value)) throw new InvalidRequest('dpop_jkt must be a JWK SHA-256 thumbprint: 43 base64url characters');
  return value;
}
