import { generateId } from '../crypto/random.js';
import type { Clock } from '../protocol/clock.js';
import type { Store } from '../storage/store.js';
import type { Logger } from './logger.js';

/** Security events recorded in the audit log (SPEC §8). Data never holds a secret, only ids. */
export type AuditEventType =
  | 'application.created'
  | 'application.secret_rotated'
  | 'application.redirect_uri_added'
  | 'application.branding_changed'
  | 'organization.branding_changed'
  | 'organization.created'
  | 'organization.delivery_changed'
  | 'exchange_code.issued'
  | 'exchange_code.rejected'
  | 'consumer.created'
  | 'identity.linked'
  | 'identity.canonical_subject_mismatch'
  | 'guest.upgraded'
  | 'guest.absorbed'
  | 'otp.sent'
  | 'otp.delivery_failed'
  | 'otp.failed'
  | 'otp.burnt'
  | 'user.created'
  | 'user.password_set'
  | 'login.succeeded'
  | 'login.failed'
  | 'login.second_factor_required'
  | 'authorization.requested'
  | 'authorization.denied'
  | 'authorization_code.issued'
  | 'authorization_code.replayed'
  | 'oauth.tokens_issued'
  | 'oauth.revoked'
  | 'session.started'
  | 'session.revoked'
  | 'refresh_token.reuse_detected'
  | 'signing_key.created'
  | 'signing_key.rotated';

export interface AuditLog {
  record(type: AuditEventType, organizationId: string | null, data?: Record<string, unknown>): Promise<void>;
}

/** Writes each event to the store and to the log. */
export function createAuditLog(store: Store, clock: Clock, logger: Logger): AuditLog {
  return {
    async record(type, organizationId, data = {}) {
      const now = clock.now();
      await store.recordAuditEvent({ id: generateId('evt_', now), organizationId, type, data, createdAt: now });
      logger.info({ audit: type, organizationId, ...data }, 'audit event');
    },
  };
}
