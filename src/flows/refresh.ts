import { hashSecret } from '../crypto/hash.js';
import { InvalidRefreshToken } from '../protocol/errors.js';
import type { Application } from '../storage/store.js';
import { deriveSuccessorRefreshToken, issueAccessTokens } from './consumer-tokens.js';
import type { FlowDeps } from './deps.js';
import { settingsOf } from './organization-settings.js';

/** SPEC §5.5 response. */
export interface RefreshedTokens {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenTtlSeconds: number;
  beaconToken: string;
}

const invalid = () => new InvalidRefreshToken('the refresh token is invalid, expired or revoked');

/**
 * SPEC §4/§5.5 refresh rotation. The presented token is rotated by one atomic write; its successor
 * is derived from it (HMAC) so a replay inside the reuse window, while the successor is unused, gets
 * the same successor back. Any other replay of a rotated token is treated as theft: the session and
 * its whole token family are revoked (RFC 9700 §4.14.2).
 */
export async function refreshConsumerSession(deps: FlowDeps, application: Application, refreshToken: string): Promise<RefreshedTokens> {
  const settings = await settingsOf(deps, application);
  const now = deps.clock.now();
  const tokenHash = hashSecret(refreshToken);
  const successorToken = deriveSuccessorRefreshToken(deps, refreshToken);
  const successorHash = hashSecret(successorToken);

  const rotated = await deps.store.rotateRefreshToken(
    tokenHash,
    application.id,
    { tokenHash: successorHash, expiresAt: now + settings.refreshTokenTtlSeconds * 1000 },
    now,
  );
  let sessionId = rotated?.sessionId;

  if (!rotated) {
    const presented = await deps.store.findRefreshToken(tokenHash);
    if (!presented) throw invalid();
    const session = await deps.store.getSession(presented.sessionId);
    // Another application's token is not ours to judge: refuse it without touching its family.
    if (!session || session.applicationId !== application.id) throw invalid();
    if (presented.revokedAt !== null || session.revokedAt !== null || presented.rotatedAt === null) throw invalid();
    const successor = await deps.store.findRefreshToken(successorHash);
    const isInsideReuseWindow = now - presented.rotatedAt <= settings.refreshReuseIntervalSeconds * 1000;
    if (isInsideReuseWindow && successor && successor.rotatedAt === null && successor.revokedAt === null && successor.expiresAt > now) {
      // SPEC §4 reuse window: a concurrent or retried refresh gets the same successor.
      sessionId = session.id;
    } else {
      await deps.store.revokeSession(session.id, now);
      await deps.audit.record('refresh_token.reuse_detected', session.organizationId, {
        sessionId: session.id,
        applicationId: application.id,
        consumerId: session.consumerId,
      });
      throw invalid();
    }
  }

  const session = await deps.store.getSession(sessionId!);
  if (!session || session.revokedAt !== null) throw invalid();
  const tokens = await issueAccessTokens(deps, session, application, settings);
  return {
    accessToken: tokens.accessToken,
    accessTokenExpiresAt: tokens.accessTokenExpiresAt,
    refreshToken: successorToken,
    refreshTokenTtlSeconds: settings.refreshTokenTtlSeconds,
    beaconToken: tokens.beaconToken,
  };
}
