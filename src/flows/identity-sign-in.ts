import { generateId } from '../crypto/random.js';
import { AuthenticationRequired } from '../protocol/errors.js';
import { SignInConflict, type Application, type AuditEvent, type Consumer, type ExternalIdentity, type GuestLink, type OrganizationSettings, type SignInWrites } from '../storage/store.js';
import type { ConsumerPrincipal } from './authenticate-consumer.js';
import type { FlowDeps } from './deps.js';
import { disabledSignInError } from './consumer-status.js';
import { newConsumer } from './new-consumer.js';
import { answerConsumerSession, newConsumerSession, type AuthSession, type NewConsumerSession } from './sessions.js';

/** The issuer of identities Latchkey verified itself (email and phone by OTP). */
export const LATCHKEY_IDENTITY_ISSUER = 'latchkey';

export interface VerifiedFields {
  email?: string;
  phone?: string;
  /** Used only when the sign-in creates the consumer: whoever asked for the code chose it. */
  fullNameIfNew?: string;
}

/** Another request linked this guest first: its session is over. */
export function guestGone(): AuthenticationRequired {
  return new AuthenticationRequired('this guest session has already been linked to an account');
}

/**
 * The error a sign-in answers when its SignInConflict was a guest linked elsewhere first, or a
 * disabled consumer (SPEC §10); others pass.
 */
export function signInConflictError(error: unknown): unknown {
  return error instanceof SignInConflict && error.reason === 'guest_taken' ? guestGone() : disabledSignInError(error);
}

/** A guest sent along with a sign-in: who its token speaks for, and its consumer as stored. */
export interface SentGuest {
  principal: ConsumerPrincipal;
  consumer: Consumer;
}

/** Reads the consumer of a guest sent along with a sign-in; guestGone when it no longer exists. */
export async function readSentGuest(deps: FlowDeps, principal: ConsumerPrincipal | undefined): Promise<SentGuest | undefined> {
  if (!principal) return undefined;
  const consumer = await deps.store.getConsumer(principal.consumerId);
  if (!consumer) throw guestGone();
  return { principal, consumer };
}

/**
 * SPEC §5.4 guest linking, as writes, once a guest's identity is proven: `upgrade` (the identity is
 * new: the guest takes it in place, same consumerId) or, for an identity that already has a
 * consumer, absorption into it — reported as `guestId`. Either way the guest's sessions end.
 */
export function guestLinkWrites(
  deps: FlowDeps,
  guest: ConsumerPrincipal,
  signedIn: Consumer,
  upgrade?: GuestLink,
): { link: GuestLink; auditEvents: AuditEvent[]; guestId?: string } {
  if (upgrade) return { link: upgrade, auditEvents: [deps.audit.prepare('guest.upgraded', guest.organizationId, { consumerId: guest.consumerId })] };
  // The identity may already be the guest's own (upgraded earlier on another device): nothing to absorb.
  if (signedIn.id === guest.consumerId) return { link: { guestId: guest.consumerId, action: 'end' }, auditEvents: [] };
  return {
    link: { guestId: guest.consumerId, action: 'absorb', intoId: signedIn.id },
    auditEvents: [deps.audit.prepare('guest.absorbed', guest.organizationId, { guestId: guest.consumerId, consumerId: signedIn.id })],
    guestId: guest.consumerId,
  };
}

/** A sign-in decided inside its redemption: what it writes, the session it starts, the absorbed guest. */
export interface PlannedSignIn {
  writes: SignInWrites;
  started: NewConsumerSession;
  consumer: Consumer;
  guestId?: string;
}

/**
 * The sign-in a verified identity makes (SPEC §5.4), as writes for the transaction that consumes the
 * code that proved it (issue 12.1): its consumer is the identity's `owner`; else the guest, upgraded
 * in place; else a new consumer. The guest is linked, empty fields filled, a session started.
 */
export function planVerifiedSignIn(
  deps: FlowDeps,
  application: Application,
  settings: OrganizationSettings,
  verified: { identity: ExternalIdentity; owner: Consumer | undefined; fields: VerifiedFields; guest: SentGuest | undefined; dpopJkt?: string | undefined },
  events: readonly AuditEvent[] = [],
): PlannedSignIn {
  const { identity, owner, guest } = verified;
  const { fullNameIfNew, ...contacts } = verified.fields;
  const now = deps.clock.now();
  let consumer = owner;
  let created: SignInWrites['newConsumer'];
  let upgrade: GuestLink | undefined;
  const auditEvents = [...events];
  if (!consumer && guest) {
    upgrade = { guestId: guest.consumer.id, action: 'upgrade', identityId: generateId('idn_', now), identity };
    consumer = { ...guest.consumer, type: 'authenticated' };
  } else if (!consumer) {
    consumer = newConsumer(application, 'authenticated', now, { fullName: fullNameIfNew ?? null });
    created = { consumer, identityId: generateId('idn_', now), identity };
    auditEvents.push(deps.audit.prepare('consumer.created', application.organizationId, { consumerId: consumer.id, via: identity.provider }));
  }
  const linked = guest ? guestLinkWrites(deps, guest.principal, consumer, upgrade) : undefined;
  const started = newConsumerSession(deps, application, consumer, settings, identity.provider, verified.dpopJkt);
  return {
    writes: {
      newConsumer: created,
      guest: linked?.link,
      fill: { consumerId: consumer.id, ...contacts },
      session: { session: started.session, firstRefreshToken: started.firstRefreshToken },
      auditEvents: [...auditEvents, ...(linked?.auditEvents ?? []), started.auditEvent],
    },
    started,
    consumer,
    guestId: linked?.guestId,
  };
}

/** The AuthSession of a planned sign-in that committed; `signedIn` is its consumer as stored, when the store read it back. */
export function answerSignIn(
  deps: FlowDeps,
  application: Application,
  settings: OrganizationSettings,
  planned: PlannedSignIn,
  signedIn: Consumer | undefined,
): Promise<AuthSession> {
  return answerConsumerSession(deps, application, signedIn ?? planned.consumer, planned.started, settings, planned.guestId);
}
