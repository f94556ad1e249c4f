import { generateId } from '../crypto/random.js';
import type { Clock } from '../protocol/clock.js';
import type { AuditEvent, Store } from '../storage/store.js';
import type { Logger } from './logger.js';

/** Security events recorded in the audit log (SPEC §8). Data never holds a secret, only ids. */
export type AuditEventType =
  | 'application.created'
  | 'application.secret_rotated'
  | 'application.redirect_uri_added'
  | 'application.post_logout_redirect_uri_added'
  | 'application.branding_changed'
  | 'application.updated'
  | 'application.disabled'
  | 'application.enabled'
  | 'organization.branding_changed'
  | 'organization.created'
  | 'organization.delivery_changed'
  | 'organization.client_registration_changed'
  | 'application.registered'
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
  | 'login.second_factor_verified'
  | 'login.step_up_verified'
  | 'totp.enrollment_started'
  | 'totp.enabled'
  | 'totp.removed'
  | 'totp.failed'
  | 'recovery_code.used'
  | 'recovery_code.failed'
  | 'recovery_codes.regenerated'
  | 'authorization.requested'
  | 'authorization.pushed'
  | 'authorization.denied'
  | 'authorization_code.issued'
  | 'authorization_code.replayed'
  | 'oauth.tokens_issued'
  | 'oauth.revoked'
  | 'session.started'
  | 'session.revoked'
  | 'logout.end_session'
  | 'refresh_token.reuse_detected'
  | 'signing_key.created'
  | 'signing_key.rotated'
  | 'admin_token.created'
  | 'admin_token.revoked'
  | 'consumer.updated'
  | 'consumer.disabled'
  | 'consumer.enabled'
  | 'consumer.erased'
  | 'passkey.registered'
  | 'passkey.registration_failed'
  | 'passkey.renamed'
  | 'passkey.removed'
  | 'passkey.used'
  | 'passkey.sign_in_failed';

export interface AuditLog {
  record(type: AuditEventType, organizationId: string | null, data?: Record<string, unknown>): Promise<void>;
  /**
   * An event for the caller's own transaction to store: what a redemption records commits with what
   * it creates (issue 12.1). Pass it to `committed` once that transaction committed.
   */
  prepare(type: AuditEventType, organizationId: string | null, data?: Record<string, unknown>): AuditEvent;
  /** Logs events a transaction stored (as `record` logs its own). */
  committed(events: readonly AuditEvent[]): void;
}

/** Most events in one INSERT: far below either engine's limit on bound parameters (5 per event). */
const MAX_BATCH = 200;

interface Pending {
  event: AuditEvent;
  settle: (error?: unknown) => void;
}

/**
 * Writes each event to the store and to the log. `record` resolves once the event is stored, so a
 * response never goes out before its audit event is durable; but the events recorded while one
 * turn of the event loop runs are written together, in one INSERT (a group commit), instead of one
 * write each — under load that was one of the three writes of every exchange-code request. When a
 * batch fails, its events are retried one by one, so only a request whose own event cannot be stored
 * fails. A redemption's events skip the batch: `prepare` makes them for the redemption's own
 * transaction (issue 12.1), which is already open.
 */
export function createAuditLog(store: Store, clock: Clock, logger: Logger): AuditLog {
  let pending: Pending[] = [];
  const flush = async () => {
    const batch = pending;
    pending = [];
    for (let start = 0; start < batch.length; start += MAX_BATCH) {
      const chunk = batch.slice(start, start + MAX_BATCH);
      try {
        await store.recordAuditEvents(chunk.map((p) => p.event));
        for (const p of chunk) p.settle();
      } catch {
        // One bad event (or a passing error) must not fail its neighbours' requests: write the
        // batch's events one by one, so each request gets its own event's outcome.
        await Promise.all(
          chunk.map((p) => store.recordAuditEvents([p.event]).then(() => p.settle(), (error: unknown) => p.settle(error))),
        );
      }
    }
  };
  const log = (event: AuditEvent) => logger.info({ audit: event.type, organizationId: event.organizationId, ...event.data }, 'audit event');
  return {
    prepare(type, organizationId, data = {}) {
      const now = clock.now();
      return { id: generateId('evt_', now), organizationId, type, data, createdAt: now };
    },
    committed(events) {
      for (const event of events) log(event);
    },
    record(type, organizationId, data = {}) {
      const now = clock.now();
      logger.info({ audit: type, organizationId, ...data }, 'audit event');
      return new Promise<void>((resolve, reject) => {
        if (pending.length === 0) setImmediate(() => void flush());
        pending.push({
          event: { id: generateId('evt_', now), organizationId, type, data, createdAt: now },
          settle: (error) => (error === undefined ? resolve() : reject(error)),
        });
      });
    },
  };
}
