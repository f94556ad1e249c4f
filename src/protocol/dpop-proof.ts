import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import {
  accessTokenHashForDpop, DPOP_PROOF_TYP, DPOP_PROOF_WINDOW_SECONDS, DPOP_SIGNING_ALGORITHMS, normalizeHtu, PRIVATE_JWK_MEMBERS,
} from './dpop.js';

/** Why a DPoP proof was refused; the message is safe to show the client. */
export class DpopProofError extends Error {}

/** A DPoP proof that passed every check of RFC 9449 §4.3 this module can make without the store. */
export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's public key (`cnf.jkt`, RFC 9449 §6.1). */
  jkt: string;
  jti: string;
  /** Seconds since the epoch. */
  iat: number;
  /** The server nonce the proof carries (§8), unchecked here. */
  nonce: string | undefined;
  /** The access token hash the proof carries (§4.2), if any. */
  ath: string | undefined;
}

/**
 * RFC 9449 §4.3: verifies a DPoP proof JWT for one request — one well-formed JWT (check 2), `typ`
 * `dpop+jwt` (4), an allowed asymmetric `alg` (5), a signature by the public key in its `jwk` header
 * (6, 7: no private members), `htm` and `htu` of this request (8, 9), `iat` within the window (11),
 * and `ath` when an access token is presented (§4.3 check 10). Replay (`jti`, §11.1) and the server
 * nonce (§8) are the caller's, since they need the store and the server key.
 */
export async function verifyDpopProof(
  proof: string,
  expected: { method: string; url: string; accessToken?: string; nowMs: number },
): Promise<VerifiedDpopProof> {
  let header;
  try {
    header = decodeProtectedHeader(proof);
  } catch (error) {
    throw new DpopProofError('the DPoP proof is not a JWS', { cause: error });
  }
  if (header.typ !== DPOP_PROOF_TYP) throw new DpopProofError('the DPoP proof\'s typ is not dpop+jwt');
  if (typeof header.alg !== 'string' || !(DPOP_SIGNING_ALGORITHMS as readonly string[]).includes(header.alg)) {
    throw new DpopProofError('the DPoP proof\'s alg is not supported');
  }
  const jwk = header.jwk as JWK | undefined;
  if (!jwk || typeof jwk !== 'object') throw new DpopProofError('the DPoP proof has no jwk header');
  if (PRIVATE_JWK_MEMBERS.some((member) => member in jwk)) throw new DpopProofError('the DPoP proof\'s jwk must be a public key');

  let payload;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: DPOP_PROOF_TYP,
      algorithms: [...DPOP_SIGNING_ALGORITHMS],
      currentDate: new Date(expected.nowMs),
      requiredClaims: ['jti', 'htm', 'htu', 'iat'],
    }));
  } catch (error) {
    throw new DpopProofError('the DPoP proof\'s signature or claims are invalid', { cause: error });
  }
  const { jti, htm, htu, iat, ath, nonce } = payload as Record<string, unknown>;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 512) throw new DpopProofError('the DPoP proof\'s jti is invalid');
  if (htm !== expected.method) throw new DpopProofError('the DPoP proof\'s htm is not the method of this request');
  const presentedHtu = typeof htu === 'string' ? normalizeHtu(htu) : undefined;
  if (presentedHtu === undefined || presentedHtu !== normalizeHtu(expected.url)) throw new DpopProofError('the DPoP proof\'s htu is not the URL of this request');
  if (typeof iat !== 'number' || Math.abs(expected.nowMs / 1000 - iat) > DPOP_PROOF_WINDOW_SECONDS) {
    throw new DpopProofError('the DPoP proof\'s iat is too far from now');
  }
  if (expected.accessToken !== undefined) {
    // RFC 9449 §4.3 check 10: the proof is for this very access token.
    if (ath !== accessTokenHashForDpop(expected.accessToken)) throw new DpopProofError('the DPoP proof\'s ath does not match the access token');
  }
  if (nonce !== undefined && typeof nonce !== 'string') throw new DpopProofError('the DPoP proof\'s nonce is invalid');
  return { jkt: await calculateJwkThumbprint(jwk, 'sha256'), jti, iat, nonce, ath: typeof ath === 'string' ? ath : undefined };
}
