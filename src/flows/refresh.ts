import { hashSecret } from '../crypto/hash.js';
import { ConsumerInvalidDpopProof } from '../protocol/dpop-errors.js';
import { InvalidRefreshToken } from '../protocol/errors.js';
import { bindOnFirstProof, refreshBindingProblem } from './oauth/dpop-binding.js';
import type { Application } from '../storage/store.js';
import { issueAccessTokens } from './consumer-tokens.js';
import type { FlowDeps } from './deps.js';
import { settingsOf } from './organization-settings.js';
import { rotateRefreshFamily } from './refresh-rotation.js';

/** SPEC §5.5 response. */
export interface RefreshedTokens {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenTtlSeconds: number;
  beaconToken: string;
}

/** SPEC §5.5: rotates a consumer refresh token (reuse window and theft detection of SPEC §4). */
export async function refreshConsumerSession(deps: FlowDeps, application: Application, refreshToken: string, dpopJkt?: string): Promise<RefreshedTokens> {
  const settings = await settingsOf(deps, application);
  // RFC 9449 §5 (SPEC §13): a bound session is refreshed only with a proof by its key — checked
  // before rotating, so a thief without the key cannot use the token up.
  const presented = await deps.store.findRefreshToken(hashSecret(refreshToken));
  const family = presented && (await deps.store.getSession(presented.sessionId));
  if (presented && family && family.applicationId === application.id) {
    // A session started without DPoP is bound by the first refresh with a proof: a browser is a
    // public client, and RFC 9449 §5 binds its refresh tokens — no later refresh falls back to Bearer.
    const problem = refreshBindingProblem(family, dpopJkt) ?? (await bindOnFirstProof(deps, family, presented, dpopJkt));
    if (problem) throw new ConsumerInvalidDpopProof(problem);
  }
  const outcome = await rotateRefreshFamily(deps, application, 'consumer', refreshToken, settings);
  if (!outcome.ok) throw new InvalidRefreshToken('the refresh token is invalid, expired or revoked');
  deps.metrics.tokenIssued('consumer_refresh');
  const tokens = await issueAccessTokens(deps, outcome.session, application, settings);
  return {
    accessToken: tokens.accessToken,
    accessTokenExpiresAt: tokens.accessTokenExpiresAt,
    refreshToken: outcome.refreshToken,
    refreshTokenTtlSeconds: settings.refreshTokenTtlSeconds,
    beaconToken: tokens.beaconToken,
  };
}
