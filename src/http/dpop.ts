import type { Context } from 'hono';
import type { VerifiedDpopProof } from '../protocol/dpop-proof.js';
import type { FlowDeps } from '../flows/deps.js';
import { acceptDpopProof, dpopNonce } from '../flows/dpop.js';
import { accessTokenHashForDpop } from '../protocol/dpop.js';
import { ConsumerInvalidDpopProof, InvalidDpopProof } from '../protocol/dpop-errors.js';
import type { AppEnv } from './env.js';

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
  // One request, one proof, one use: a second check in the same request (a guest token checked by
  // middleware, then the new session bound by the handler) reuses the first one's result.
  const earlier = accepted.get(c.req.raw);
  if (earlier) {
    const verified = await earlier;
    if (options.accessToken !== undefined && verified.ath !== accessTokenHashForDpop(options.accessToken)) {
      throw new InvalidDpopProof('the DPoP proof\'s ath does not match the access token');
    }
    return verified;
  }
  const checked = acceptDpopProof(deps, {
    proof, method: c.req.method, url: requestHtu(deps, c), requireNonce: options.requireNonce,
    ...(options.accessToken !== undefined ? { accessToken: options.accessToken } : {}),
  });
  accepted.set(c.req.raw, checked);
  return checked;
}

const accepted = new WeakMap<Request, Promise<VerifiedDpopProof>>();

/**
 * SPEC §13 consumer sessions: the key a `DPoP` proof on a session-starting request (exchange, guest,
 * OTP verify, refresh) proves, which binds the new session's tokens (RFC 9449 §5, §6.1). No server
 * nonce is asked for here (docs/architecture.md): `iat` and single use bound a proof's life. An
 * application that requires DPoP gets 400 `invalid_dpop_proof` without one; errors in the consumer
 * API's shape (SPEC §3).
 */
export async function consumerDpopJkt(deps: FlowDeps, c: Context<AppEnv>): Promise<string | undefined> {
  let proof;
  try {
    proof = await acceptRequestDpop(deps, c, { requireNonce: false });
  } catch (error) {
    if (error instanceof InvalidDpopProof) throw new ConsumerInvalidDpopProof(error.message, { cause: error.cause });
    throw error;
  }
  if (!proof && c.get('application').requireDpop) throw new ConsumerInvalidDpopProof('this application requires a DPoP proof (DPoP header) to start or refresh a session');
  return proof?.jkt;
}
