import { currentDpopNonce, isDpopNonceValid } from '../crypto/dpop-nonce.js';
import { DpopProofError, verifyDpopProof, type VerifiedDpopProof } from '../protocol/dpop-proof.js';
import { hashSecret } from '../crypto/hash.js';
import { DPOP_PROOF_WINDOW_SECONDS } from '../protocol/dpop.js';
import { InvalidDpopProof, UseDpopNonce } from '../protocol/dpop-errors.js';
import type { FlowDeps } from './deps.js';

/** One request's DPoP proof as the HTTP layer read it: the header's value and what it must be for. */
export interface DpopRequest {
  proof: string;
  /** The request's method (RFC 9449 §4.3 check 8). */
  method: string;
  /** The request's URL as the issuer names it (check 9): the same behind any load balancer. */
  url: string;
  /** The access token presented with the proof, when there is one (check 10, `ath`). */
  accessToken?: string;
  /** RFC 9449 §8: a proof without this server's current nonce is refused with `use_dpop_nonce`. */
  requireNonce: boolean;
}

/** The nonce to send in `DPoP-Nonce` now (RFC 9449 §8.2: a server may send a fresh one on any response). */
export function dpopNonce(deps: FlowDeps): string {
  return currentDpopNonce(deps.serverKeys.dpopNonceKey, deps.clock.now());
}

/**
 * RFC 9449 §4.3 in full: the proof's own checks (crypto/dpop-proof.ts), then the server nonce when
 * required (§8), then its `jti` recorded once in the store (§11.1) — the last step, so a proof refused
 * for another reason leaves nothing behind, and a replay is refused on every instance sharing the
 * store. Returns the verified proof; throws InvalidDpopProof or UseDpopNonce (RFC 6749 §5.2 shape).
 */
export async function acceptDpopProof(deps: FlowDeps, request: DpopRequest): Promise<VerifiedDpopProof> {
  const nowMs = deps.clock.now();
  let proof: VerifiedDpopProof;
  try {
    proof = await verifyDpopProof(request.proof, { method: request.method, url: request.url, accessToken: request.accessToken, nowMs });
  } catch (error) {
    if (error instanceof DpopProofError) throw new InvalidDpopProof(error.message, { cause: error.cause });
    throw error;
  }
  if (request.requireNonce) {
    const nonce = dpopNonce(deps);
    if (proof.nonce === undefined) throw new UseDpopNonce('a DPoP nonce is required: use the one in the DPoP-Nonce header', nonce);
    // RFC 9449 §8: a stale or foreign nonce gets the same answer, with the current one.
    if (!isDpopNonceValid(deps.serverKeys.dpopNonceKey, proof.nonce, nowMs)) throw new UseDpopNonce('the DPoP nonce is stale: use the one in the DPoP-Nonce header', nonce);
  }
  // Scoped by key: a jti is unique only among one key holder's proofs, and nobody else's proofs can use it up.
  const isFirstUse = await deps.store.recordDpopProof(
    { jtiHash: hashSecret(`${proof.jkt}.${proof.jti}`), expiresAt: (proof.iat + DPOP_PROOF_WINDOW_SECONDS) * 1000 + 1 },
    nowMs,
  );
  if (!isFirstUse) {
    deps.metrics.replayDetected('dpop_proof');
    throw new InvalidDpopProof('the DPoP proof was already used (jti)');
  }
  return proof;
}
