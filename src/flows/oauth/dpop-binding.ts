import { InvalidDpopProof } from '../../protocol/dpop-errors.js';
import type { Application, AuthorizationCode, RefreshTokenRecord, Session } from '../../storage/store.js';
import type { FlowDeps } from '../deps.js';

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

/**
 * RFC 9449 §5: a public client's family started without DPoP is bound by the first refresh that
 * comes with a proof, so no later refresh can fall back to Bearer. Called after checkRefreshBinding,
 * before rotating; only the holder of the family's live refresh token binds it (a rotated, revoked or
 * expired one is left to the rotation to refuse). The store binds with one conditional write; when a
 * concurrent request bound the family first, its key is the one this request must have.
 */
export async function bindFamilyOnFirstProof(
  deps: FlowDeps,
  application: Application,
  family: Pick<Session, 'id' | 'dpopJkt'>,
  presented: Pick<RefreshTokenRecord, 'rotatedAt' | 'revokedAt' | 'expiresAt'>,
  dpopJkt: string | undefined,
): Promise<void> {
  if (application.type !== 'public') return;
  const problem = await bindOnFirstProof(deps, family, presented, dpopJkt);
  if (problem) throw new InvalidDpopProof(problem);
}

/**
 * The binding itself, for any family whose holder is a public client — an OAuth public client's, or
 * a consumer session's (a browser: SPEC §13, RFC 9449 §5). Answers why the request's key cannot
 * refresh the family when a concurrent request bound it to another key first.
 */
export async function bindOnFirstProof(
  deps: FlowDeps,
  family: Pick<Session, 'id' | 'dpopJkt'>,
  presented: Pick<RefreshTokenRecord, 'rotatedAt' | 'revokedAt' | 'expiresAt'>,
  dpopJkt: string | undefined,
): Promise<string | undefined> {
  if (dpopJkt === undefined || family.dpopJkt) return undefined;
  if (presented.rotatedAt !== null || presented.revokedAt !== null || presented.expiresAt <= deps.clock.now()) return undefined;
  if (await deps.store.bindSessionToDpopKey(family.id, dpopJkt)) return undefined;
  const current = await deps.store.getSession(family.id);
  return current ? refreshBindingProblem(current, dpopJkt) : undefined;
}

/** RFC 9449 §10: a code issued for `dpop_jkt` (or a proof at PAR) is redeemed only with a proof by that key. */
export function checkCodeBinding(code: Pick<AuthorizationCode, 'dpopJkt'>, dpopJkt: string | undefined): void {
  if (!code.dpopJkt) return;
  if (dpopJkt === undefined) throw new InvalidDpopProof('this authorization code is bound to a DPoP key (dpop_jkt): send a DPoP proof by that key');
  if (dpopJkt !== code.dpopJkt) throw new InvalidDpopProof('this authorization code is bound to another DPoP key (dpop_jkt)');
}
