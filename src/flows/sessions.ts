import { generateId } from '../crypto/random.js';
import { hashSecret } from '../crypto/hash.js';
import type { Application, Consumer } from '../storage/store.js';
import { generateRefreshToken, issueAccessTokens } from './consumer-tokens.js';
import type { FlowDeps } from './deps.js';
import { requireInPool } from './environments.js';
import { settingsOf } from './organization-settings.js';

/** The AuthSession body shared by every sign-in of the consumer API (SPEC §5). */
export interface AuthSession {
  session: {
    type: 'guest' | 'authenticated';
    consumerId: string;
    expiresAt: string;
    email?: string;
    phone?: string;
    guestId?: string;
  };
  accessToken: string;
  refreshToken: string;
  refreshTokenTtlSeconds: number;
  beaconToken: string;
}

/** Starts a session for `consumer` on `application`: session row, first refresh token, access tokens. */
export async function startConsumerSession(
  deps: FlowDeps,
  application: Application,
  consumer: Consumer,
  extra: { via: string; guestId?: string },
): Promise<AuthSession> {
  requireInPool(consumer, application);
  const settings = await settingsOf(deps, application);
  const now = deps.clock.now();
  const session = {
    id: generateId('ses_', now),
    organizationId: consumer.organizationId,
    applicationId: application.id,
    consumerId: consumer.id,
    type: consumer.type,
    kind: 'consumer' as const,
    grantId: null,
    scope: null,
    codeHash: null,
    createdAt: now,
    revokedAt: null,
  };
  const refreshToken = generateRefreshToken();
  await deps.store.startSession(session, {
    tokenHash: hashSecret(refreshToken),
    sessionId: session.id,
    createdAt: now,
    expiresAt: now + settings.refreshTokenTtlSeconds * 1000,
    rotatedAt: null,
    revokedAt: null,
  });
  deps.metrics.tokenIssued('consumer_refresh');
  const tokens = await issueAccessTokens(deps, session, application, settings);
  await deps.audit.record('session.started', session.organizationId, {
    sessionId: session.id,
    consumerId: consumer.id,
    applicationId: application.id,
    via: extra.via,
  });
  return {
    session: {
      type: session.type,
      consumerId: consumer.id,
      expiresAt: tokens.accessTokenExpiresAt,
      ...(consumer.email ? { email: consumer.email } : {}),
      ...(consumer.phone ? { phone: consumer.phone } : {}),
      ...(extra.guestId ? { guestId: extra.guestId } : {}),
    },
    accessToken: tokens.accessToken,
    refreshToken,
    refreshTokenTtlSeconds: settings.refreshTokenTtlSeconds,
    beaconToken: tokens.beaconToken,
  };
}
