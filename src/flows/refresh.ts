import { InvalidRefreshToken } from '../protocol/errors.js';
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
export async function refreshConsumerSession(deps: FlowDeps, application: Application, refreshToken: string): Promise<RefreshedTokens> {
  const settings = await settingsOf(deps, application);
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
