import type { Context } from 'hono';
import type { VerifiedDpopProof } from '../protocol/dpop-proof.js';
import type { FlowDeps } from '../flows/deps.js';
import { acceptDpopProof, dpopNonce } from '../flows/dpop.js';
import { InvalidDpopProof } from '../protocol/dpop-errors.js';

/**
 * The `DPoP` request header (RFC 9449 §4.1), if sent. RFC 9449 §4.3 check 1: at most one; Node
 * joins repeated headers with commas, which a compact JWS never contains.
 */
export function readDpopHeader(c: Context): string | undefined {
  const value = c.req.header('dpop');
  if (value === undefined) return undefined;
  if (value.includes(',') || value.trim() === '') throw new InvalidDpopProof('send exactly one DPoP header');
  return value.trim();
}

/**
 * The URL a proof for this request names in `htu` (RFC 9449 §4.3 check 9): the issuer's, as clients
 * discover it — the same on every instance behind a load balancer — with this request's path.
 */
export function requestHtu(deps: FlowDeps, c: Context): string {
  return `${deps.issuer}${c.req.path}`;
}

/**
 * Checks the request's DPoP proof, if any (flows/dpop.ts). With `requireNonce`, every answer carries
 * a current nonce in `DPoP-Nonce` (RFC 9449 §8.2), so the client's next proof can use it.
 */
export async function acceptRequestDpop(
  deps: FlowDeps,
  c: Context,
  options: { requireNonce: boolean; accessToken?: string },
): Promise<VerifiedDpopProof | undefined> {
  const proof = readDpopHeader(c);
  if (proof === undefined) return undefined;
  if (options.requireNonce) c.header('DPoP-Nonce', dpopNonce(deps));
  return acceptDpopProof(deps, {
    proof, method: c.req.method, url: requestHtu(deps, c), requireNonce: options.requireNonce,
    ...(options.accessToken !== undefined ? { accessToken: options.accessToken } : {}),
  });
}
