import { generateId } from '../crypto/random.js';
import { AuthenticationRequired } from '../protocol/errors.js';
import { UniqueConflict, type Application, type Consumer, type ExternalIdentity, type UserPool } from '../storage/store.js';
import type { ConsumerPrincipal } from './authenticate-consumer.js';
import type { FlowDeps } from './deps.js';
import { newConsumer } from './new-consumer.js';
import { startConsumerSession, type AuthSession } from './sessions.js';

/** The issuer of identities Latchkey verified itself (email and phone by OTP). */
export const LATCHKEY_IDENTITY_ISSUER = 'latchkey';

export interface VerifiedFields {
  email?: string;
  phone?: string;
  /** Used only when the sign-in creates the consumer: whoever asked for the code chose it. */
  fullNameIfNew?: string;
}

/**
 * SPEC §5.4 guest linking, after a guest's identity was proven: a new identity upgrades the guest
 * in place (same consumerId, now authenticated); an identity that already has a consumer signs that
 * consumer in and reports the absorbed guest as `guestId`. Either way the guest's sessions end.
 */
export async function linkGuest(
  deps: FlowDeps,
  guest: ConsumerPrincipal,
  outcome: { consumer: Consumer; isGuestUpgraded: boolean },
): Promise<{ consumer: Consumer; guestId?: string }> {
  const now = deps.clock.now();
  // The identity may already be the guest's own (upgraded earlier on another device): nothing to absorb.
  const isAbsorbed = !outcome.isGuestUpgraded && outcome.consumer.id !== guest.consumerId;
  if (isAbsorbed && !(await deps.store.markGuestAbsorbed(guest.consumerId, outcome.consumer.id, now))) throw guestGone();
  await deps.store.revokeConsumerSessions(guest.consumerId, now);
  if (!isAbsorbed) {
    if (outcome.isGuestUpgraded) await deps.audit.record('guest.upgraded', guest.organizationId, { consumerId: guest.consumerId });
    return { consumer: outcome.consumer };
  }
  await deps.audit.record('guest.absorbed', guest.organizationId, { guestId: guest.consumerId, consumerId: outcome.consumer.id });
  return { consumer: outcome.consumer, guestId: guest.consumerId };
}

/** Another request linked this guest first: its session is over. */
export function guestGone(): AuthenticationRequired {
  return new AuthenticationRequired('this guest session has already been linked to an account');
}

/** How a verified identity resolved: its consumer, and whether that is the guest upgraded in place. */
export interface ResolvedIdentity {
  consumer: Consumer;
  isGuestUpgraded: boolean;
}

/** Finds the consumer of a verified identity, attaches it to the guest, or creates a consumer. */
async function resolveOnce(
  deps: FlowDeps,
  pool: UserPool,
  identity: ExternalIdentity,
  guest: ConsumerPrincipal | undefined,
  fullNameIfNew: string | undefined,
): Promise<ResolvedIdentity> {
  const { organizationId } = pool;
  const existing = await deps.store.findConsumerByExternalIdentity(pool, identity);
  if (existing) return { consumer: existing, isGuestUpgraded: false };
  const now = deps.clock.now();
  if (guest) {
    if (!(await deps.store.upgradeGuest(guest.consumerId, generateId('idn_', now), identity, now))) throw guestGone();
    return { consumer: (await deps.store.getConsumer(guest.consumerId))!, isGuestUpgraded: true };
  }
  const consumer = newConsumer(pool, 'authenticated', now, { fullName: fullNameIfNew ?? null });

  await deps.store.createConsumerWithIdentity(consumer, generateId('idn_', now), identity);
  await deps.audit.record('consumer.created', organizationId, { consumerId: consumer.id, via: identity.provider });
  return { consumer, isGuestUpgraded: false };
}

/**
 * The consumer of an identity Latchkey just verified (an OTP), created or upgraded from the guest
 * as needed. An existing consumer is only read: nothing is linked or started yet, so a sign-in that
 * still needs a second factor (SPEC §12) can stop here.
 */
export async function resolveVerifiedIdentity(
  deps: FlowDeps,
  pool: UserPool,
  identity: ExternalIdentity,
  guest: ConsumerPrincipal | undefined,
  fullNameIfNew?: string,
): Promise<ResolvedIdentity> {
  try {
    return await resolveOnce(deps, pool, identity, guest, fullNameIfNew);
  } catch (error) {
    // Another request attached the same identity first: it now has a consumer.
    if (!(error instanceof UniqueConflict)) throw error;
    return resolveOnce(deps, pool, identity, guest, fullNameIfNew);
  }
}

/** Finishes a sign-in whose identity was resolved: links the guest, fills empty fields, starts the session. */
export async function startVerifiedSession(
  deps: FlowDeps,
  application: Application,
  identity: ExternalIdentity,
  resolved: ResolvedIdentity,
  fields: VerifiedFields,
  guest: ConsumerPrincipal | undefined,
): Promise<AuthSession> {
  const linked = guest ? await linkGuest(deps, guest, resolved) : undefined;
  const { fullNameIfNew: _name, ...verified } = fields;
  const consumer = await deps.store.fillEmptyConsumerFields(resolved.consumer.id, verified, deps.clock.now());
  return startConsumerSession(deps, application, consumer, { via: identity.provider, guestId: linked?.guestId });
}
