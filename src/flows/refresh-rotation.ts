import { hashSecret } from '../crypto/hash.js';
import type { Application, Session } from '../storage/store.js';
import { deriveSuccessorRefreshToken } from './consumer-tokens.js';
import type { FlowDeps } from './deps.js';

export type RotationOutcome =
  | { ok: true; session: Session; refreshToken: string }
  | { ok: false; reason: 'unknown' | 'revoked' | 'expired' | 'reused' };

/**
 * SPEC §4 refresh rotation, shared by the consumer API and the OAuth token endpoint. The presented
 * token is rotated by one atomic write; its successor is derived from it (HMAC), so a replay inside
 * the reuse window, while the successor is unused, gets the same successor back. Any other replay of
 * a rotated token is treated as theft: the session and its whole family are revoked
 * (RFC 9700 §4.14.2).
 */
export async function rotateRefreshFamily(
  deps: FlowDeps,
  application: Application,
  kind: Session['kind'],
  refreshToken: string,
  lifetimes: { refreshTokenTtlSeconds: number; refreshReuseIntervalSeconds: number },
): Promise<RotationOutcome> {
  const now = deps.clock.now();
  const tokenHash = hashSecret(refreshToken);
  const successorToken = deriveSuccessorRefreshToken(deps, refreshToken);
  const successorHash = hashSecret(successorToken);

  const rotated = await deps.store.rotateRefreshToken(
    tokenHash,
    application.id,
    kind,
    { tokenHash: successorHash, expiresAt: now + lifetimes.refreshTokenTtlSeconds * 1000 },
    now,
  );
  // The store read the family's session in the rotation's own transaction, and saw it live.
  if (rotated) return { ok: true, session: rotated.session, refreshToken: successorToken };

  const presented = await deps.store.findRefreshToken(tokenHash);
  if (!presented) return { ok: false, reason: 'unknown' };
  const session = await deps.store.getSession(presented.sessionId);
  // Another application's (or another kind's) token is not ours to judge: refuse it, touch nothing.
  if (!session || session.applicationId !== application.id || session.kind !== kind) return { ok: false, reason: 'unknown' };
  if (presented.revokedAt !== null || session.revokedAt !== null) return { ok: false, reason: 'revoked' };
  if (presented.rotatedAt === null) return { ok: false, reason: 'expired' };

  const successor = await deps.store.findRefreshToken(successorHash);
  const isInsideReuseWindow = now - presented.rotatedAt <= lifetimes.refreshReuseIntervalSeconds * 1000;
  if (isInsideReuseWindow && successor && successor.rotatedAt === null && successor.revokedAt === null && successor.expiresAt > now) {
    return { ok: true, session, refreshToken: successorToken };
  }
  await deps.store.revokeSession(session.id, now);
  deps.metrics.replayDetected('refresh_token');
  await deps.audit.record('refresh_token.reuse_detected', session.organizationId, {
    sessionId: session.id,
    applicationId: application.id,
    consumerId: session.consumerId,
    kind,
  });
  return { ok: false, reason: 'reused' };
}
