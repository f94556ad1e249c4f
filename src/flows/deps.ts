import type { ServerKeys } from '../crypto/key-encryption.js';
import type { PasswordHashing } from '../crypto/passwords.js';
import type { Delivery } from '../delivery/sender.js';
import type { AuditLog } from '../observability/audit.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../protocol/clock.js';
import type { RateLimits } from '../protocol/rate-limits.js';
import type { Store } from '../storage/store.js';
import type { Keyring } from './keyring.js';
import type { ClientRegistrationDeps } from './oauth/metadata-document-cache.js';

/** What every flow may use; built once at start and passed explicitly (no globals). */
export interface FlowDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly serverKeys: ServerKeys;
  /** The `iss` of every token (LATCHKEY_ISSUER). */
  readonly issuer: string;
  /** The WebAuthn relying party ID of passkeys (LATCHKEY_WEBAUTHN_RP_ID; SPEC §12). */
  readonly webauthnRpId: string;
  /** How long a rotated application secret keeps working (LATCHKEY_SECRET_OVERLAP_SECONDS). */
  readonly secretOverlapSeconds: number;
  /** Email and SMS delivery, per organization (SPEC §5.4). */
  readonly delivery: Delivery;
  readonly rateLimits: RateLimits;
  /** argon2id cost for user passwords (LATCHKEY_ARGON2_*). */
  readonly passwordHashing: PasswordHashing;
  readonly metrics: Metrics;
  /** SPEC §13: clients nobody registered by hand (metadata documents, dynamic registration). */
  readonly clientRegistration: ClientRegistrationDeps;
}
