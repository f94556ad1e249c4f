import { LONGEST_FIXED_JWT_TTL_SECONDS } from '../protocol/lifetimes.js';
import type { PurgeableArtefact, PurgeCutoffs } from '../storage/store.js';
import type { FlowDeps } from './deps.js';
import { INSTANCE_ID } from './instance.js';

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
const ARTEFACTS: PurgeableArtefact[] = ['exchange_codes', 'otp_codes', 'authorization_requests', 'authorization_codes', 'refresh_tokens', 'sessions', 'dev_outbox', 'revoked_access_tokens', 'webauthn_challenges', 'pushed_authorization_requests', 'dpop_proofs'];


export interface HousekeepingOptions {
  batchSize: number;
  /** Batches per artefact per run: bounds the work (and time) of one run; a backlog drains over runs. */
  maxBatches: number;
  /** How long the lease is held: longer than a run, shorter than the interval between runs. */
  leaseMs: number;
}

/**
 * Deletes what nothing needs any more, in bounded batches, on one instance at a time (a lease in the
 * store). Kept: anything unexpired; rotated refresh tokens until their own expiry (reuse detection,
 * SPEC §4); used authorization codes for a day after expiry (a replay still revokes their tokens,
 * RFC 6749 §4.1.2); sessions while any refresh token or access token of theirs can be live.
 * Returns the rows deleted per artefact, or undefined when another instance holds the lease.
 */
export async function runHousekeeping(deps: FlowDeps, options: HousekeepingOptions): Promise<Record<PurgeableArtefact, number> | undefined> {
  const now = deps.clock.now();
  if (!(await deps.store.acquireLease('housekeeping', INSTANCE_ID, now, now + options.leaseMs))) return undefined;
  const organizations = await deps.store.listOrganizations();
  // Sessions can go once no access token of theirs can still be live.
  const longestAccessMs = Math.max(
    LONGEST_FIXED_JWT_TTL_SECONDS,
    ...organizations.flatMap((o) => [o.settings.accessTokenTtlSeconds, o.settings.loginTokenTtlSeconds, o.settings.oauthAccessTokenTtlSeconds]),
  ) * 1000;
  const cutoffs: PurgeCutoffs = {
    expiredBefore: now - HOUR_MS,
    codesExpiredBefore: now - DAY_MS,
    sessionsBefore: now - longestAccessMs - DAY_MS,
    outboxBefore: now - DAY_MS,
  };
  const deleted = {} as Record<PurgeableArtefact, number>;
  for (const artefact of ARTEFACTS) {
    deleted[artefact] = 0;
    for (let batch = 0; batch < options.maxBatches; batch++) {
      const count = await deps.store.purgeExpired(artefact, cutoffs, options.batchSize);
      deleted[artefact] += count;
      if (count < options.batchSize) break;
    }
  }
  const total = Object.values(deleted).reduce((sum, n) => sum + n, 0);
  if (total > 0) deps.logger.info({ deleted }, 'housekeeping');
  return deleted;
}
