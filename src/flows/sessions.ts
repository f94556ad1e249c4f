import { generateId } from '../crypto/random.js';
import { hashSecret } from '../crypto/hash.js';
import type { Application, AuditEvent, Consumer, OrganizationSettings, RefreshTokenRecord, Session } from '../storage/store.js';
import { generateRefreshToken, issueAccessTokens } from './consumer-tokens.js';
import { disabledSignInError, refuseDisabled } from './consumer-status.js';
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

/**
 * A consumer session not yet written: its row, the first refresh token of its family (and that
 * token in clear, to hand out) and its `session.started` event — written by the transaction that
 * consumes the credential it comes from (issue 12.1).
 */
export interface NewConsumerSession {
  session: Session;
  firstRefreshToken: RefreshTokenRecord;
  refreshToken: string;
  auditEvent: AuditEvent;
}

/** Builds, without writing, a session for `consumer` on `application` (SPEC §5). */
export function newConsumerSession(
  deps: FlowDeps,
  application: Application,
  consumer: Consumer,
  settings: OrganizationSettings,
  via: string,
  /** RFC 9449 (SPEC §13): the DPoP key the request proved, binding the session's tokens to it. */
  dpopJkt?: string,
): NewConsumerSession {
  requireInPool(consumer, application);
  refuseDisabled(consumer);
  const now = deps.clock.now();
  const session: Session = {
    id: generateId('ses_', now),
    organizationId: consumer.organizationId,
    applicationId: application.id,
    consumerId: consumer.id,
    type: consumer.type,
    kind: 'consumer',
    grantId: null,
    scope: null,
    codeHash: null,
    dpopJkt: dpopJkt ?? null,
    createdAt: now,
    revokedAt: null,
  };
  const refreshToken = generateRefreshToken();
  return {
    session,
    refreshToken,
    firstRefreshToken: {
      tokenHash: hashSecret(refreshToken),
      sessionId: session.id,
      createdAt: now,
      expiresAt: now + settings.refreshTokenTtlSeconds * 1000,
      rotatedAt: null,
      revokedAt: null,
    },
    auditEvent: deps.audit.prepare('session.started', session.organizationId, {
      sessionId: session.id,
      consumerId: consumer.id,
      applicationId: application.id,
      via,
    }),
  };
}

/** The AuthSession of a session that was written: signs its access and beacon tokens for `consumer` as stored. */
export async function answerConsumerSession(
  deps: FlowDeps,
  application: Application,
  consumer: Consumer,
  started: NewConsumerSession,
  settings: OrganizationSettings,
  guestId?: string,
): Promise<AuthSession> {
  deps.metrics.tokenIssued('consumer_refresh');
  const tokens = await issueAccessTokens(deps, started.session, application, settings);
  return {
    session: {
      type: started.session.type,
      consumerId: consumer.id,
      expiresAt: tokens.accessTokenExpiresAt,
      ...(consumer.email ? { email: consumer.email } : {}),
      ...(consumer.phone ? { phone: consumer.phone } : {}),
      ...(guestId ? { guestId } : {}),
    },
    accessToken: tokens.accessToken,
    refreshToken: started.refreshToken,
    refreshTokenTtlSeconds: settings.refreshTokenTtlSeconds,
    beaconToken: tokens.beaconToken,
  };
}

/**
 * Starts a session for `consumer` on `application` that no credential is redeemed for (a new
 * guest's): session row, first refresh token and its event in one transaction; then access tokens.
 */
export async function startConsumerSession(deps: FlowDeps, application: Application, consumer: Consumer, extra: { via: string; dpopJkt?: string }): Promise<AuthSession> {
  const settings = await settingsOf(deps, application);
  const started = newConsumerSession(deps, application, consumer, settings, extra.via, extra.dpopJkt);
  await deps.store.startSession(started.session, started.firstRefreshToken, [started.auditEvent]).catch((error: unknown) => Promise.reject(disabledSignInError(error)));
  deps.audit.committed([started.auditEvent]);
  return answerConsumerSession(deps, application, consumer, started, settings);
}
