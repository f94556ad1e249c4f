import type { Context } from 'hono';
import type { FlowDeps } from '../flows/deps.js';
import { authenticateBearer, type BearerPrincipal } from '../flows/oauth/tokens.js';
import { DPOP_SIGNING_ALGORITHMS } from '../protocol/dpop.js';
import type { ConsumerPrincipal } from '../flows/authenticate-consumer.js';
import { ConsumerDpopRefused, DpopResourceRefused, InvalidDpopProof } from '../protocol/dpop-errors.js';
import { ApiError } from '../protocol/errors.js';
import { acceptRequestDpop } from './dpop.js';

/** The access token of `Authorization: Bearer <token>` (RFC 6750 §2.1) or `Authorization: DPoP <token>` (RFC 9449 §7.1). */
export function readAuthorization(c: Context): { scheme: 'Bearer' | 'DPoP'; token: string } | undefined {
  const match = /^(Bearer|DPoP)[ ]+(\S+)[ ]*$/i.exec(c.req.header('authorization') ?? '');
  if (!match) return undefined;
  return { scheme: match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2]! };
}

const refused = (code: 'invalid_token' | 'invalid_dpop_proof', message: string, cause?: unknown) =>
  new DpopResourceRefused(code, message, DPOP_SIGNING_ALGORITHMS, { cause });

/** The `cnf.jkt` of a verified access token (RFC 9449 §6.1), if it is DPoP-bound. */
export function boundJkt(principal: BearerPrincipal): string | undefined {
  const cnf = (principal.payload as { cnf?: { jkt?: unknown } }).cnf;
  return typeof cnf?.jkt === 'string' ? cnf.jkt : undefined;
}

/**
 * RFC 9449 §7.1, §7.2 at Latchkey's own protected resources (UserInfo, `/v1/user`, …): a DPoP-bound
 * token is accepted only under the `DPoP` scheme with a proof by its key for this request (`htm`,
 * `htu`, `ath`, one use) — never as a bearer token, or a stolen one would work without the key; an
 * unbound token is not accepted under the `DPoP` scheme. Refusals are 401 with a `DPoP` challenge.
 */
export async function checkDpopBinding(deps: FlowDeps, c: Context, principal: BearerPrincipal, presented: { scheme: 'Bearer' | 'DPoP'; token: string }): Promise<void> {
  const jkt = boundJkt(principal);
  if (jkt === undefined) {
    if (presented.scheme === 'DPoP') throw refused('invalid_token', 'this access token is not DPoP-bound: send it as a Bearer token');
    return;
  }
  if (presented.scheme !== 'DPoP') throw refused('invalid_token', 'this access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof');
  let proof;
  try {
    proof = await acceptRequestDpop(deps, c, { requireNonce: false, accessToken: presented.token });
  } catch (error) {
    if (error instanceof InvalidDpopProof) throw refused('invalid_dpop_proof', error.message, error.cause);
    throw error;
  }
  if (!proof) throw refused('invalid_dpop_proof', 'a DPoP proof is required with a DPoP-bound access token');
  if (proof.jkt !== jkt) throw refused('invalid_token', 'the DPoP proof is by another key than the access token\'s');
}

/** Verifies the presented access token (flows/oauth/tokens.ts) and then its DPoP binding, if any. */
export async function authenticateAccessToken(
  deps: FlowDeps,
  c: Context,
  presented: { scheme: 'Bearer' | 'DPoP'; token: string },
  accept: ReadonlyArray<'login' | 'oauth'>,
): Promise<BearerPrincipal> {
  let principal;
  try {
    principal = await authenticateBearer(deps, presented.token, accept);
  } catch (error) {
    // RFC 9449 §7.1: under the DPoP scheme, the challenge is a DPoP one.
    if (presented.scheme === 'DPoP' && error instanceof ApiError && error.code === 'invalid_token') throw refused('invalid_token', error.message, error.cause);
    throw error;
  }
  await checkDpopBinding(deps, c, principal, presented);
  return principal;
}

/**
 * RFC 9449 §7.1 for consumer access tokens (SPEC §13) at Latchkey's consumer endpoints: a token of a
 * DPoP-bound session only under the `DPoP` scheme with a proof by the session's key for this request
 * (`htm`, `htu`, `ath`, one use); an unbound one only as Bearer. 401 with a `DPoP` challenge, in the
 * consumer API's shape.
 */
export async function checkConsumerDpop(deps: FlowDeps, c: Context, principal: ConsumerPrincipal, presented: { scheme: 'Bearer' | 'DPoP'; token: string }): Promise<void> {
  const refuse = (code: 'invalid_token' | 'invalid_dpop_proof', message: string, cause?: unknown) =>
    new ConsumerDpopRefused(code, message, DPOP_SIGNING_ALGORITHMS, { cause });
  if (principal.dpopJkt === undefined) {
    if (presented.scheme === 'DPoP') throw refuse('invalid_token', 'this access token is not DPoP-bound: send it as a Bearer token');
    return;
  }
  if (presented.scheme !== 'DPoP') throw refuse('invalid_token', 'this access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof');
  let proof;
  try {
    proof = await acceptRequestDpop(deps, c, { requireNonce: false, accessToken: presented.token });
  } catch (error) {
    if (error instanceof InvalidDpopProof) throw refuse('invalid_dpop_proof', error.message, error.cause);
    throw error;
  }
  if (!proof) throw refuse('invalid_dpop_proof', 'a DPoP proof is required with a DPoP-bound access token');
  if (proof.jkt !== principal.dpopJkt) throw refuse('invalid_token', 'the DPoP proof is by another key than the access token\'s');
}
