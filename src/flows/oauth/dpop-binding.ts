import { InvalidDpopProof } from '../../protocol/dpop-errors.js';
import type { Application, Session } from '../../storage/store.js';

/**
 * RFC 9449 §5: the refresh tokens of a public client are bound to the DPoP key of the request that
 * started the family; a confidential client's are not (it authenticates at every refresh, and may
 * change keys), though each access token is still bound to the key of its own request.
 */
export function refreshBinding(application: Application, dpopJkt: string | undefined): string | null {
  return application.type === 'public' && dpopJkt !== undefined ? dpopJkt : null;
}

/**
 * RFC 9449 §5: a bound family is refreshed only with a proof by its key — checked before the token
 * is rotated, so a thief without the key cannot use it up.
 */
export function checkRefreshBinding(family: Pick<Session, 'dpopJkt'>, dpopJkt: string | undefined): void {
  const problem = refreshBindingProblem(family, dpopJkt);
  if (problem) throw new InvalidDpopProof(problem);
}

/** Why a proof's key (or its absence) cannot refresh this family; undefined when it can. */
export function refreshBindingProblem(family: Pick<Session, 'dpopJkt'>, dpopJkt: string | undefined): string | undefined {
  if (!family.dpopJkt) return undefined;
  if (dpopJkt === undefined) return 'this refresh token is bound to a DPoP key: send a DPoP proof by that key';
  if (dpopJkt !== family.dpopJkt) return 'this refresh token is bound to another DPoP key';
  return undefined;
}
