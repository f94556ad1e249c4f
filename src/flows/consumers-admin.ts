import * as v from 'valibot';
import { generateId } from '../crypto/random.js';
import { normalizeEmail, normalizePhone } from '../protocol/contacts.js';
import { Conflict, InvalidInput, NotFound } from '../protocol/errors.js';
import {
  UniqueConflict, type AuditEvent, type Consumer, type ConsumerContactChange, type ConsumerFilter, type ErasureCounts, type ExternalIdentity, type Grant, type PageRequest, type Session,
} from '../storage/store.js';
import { withActor, type AuditActor } from './admin-principal.js';
import type { FlowDeps } from './deps.js';
import { revokeGrantOf } from './oauth/revocation.js';
import { fetchPage, type Page } from './paging.js';

// SPEC §10: an operator's work on the people of a pool (customer support). The admin API calls
// these; `latchkey users …` shares createUser / setConsumerPassword (flows/users.ts).

const EMAIL = v.pipe(v.string(), v.email());
const MAX_NAME_LENGTH = 200;

/** A consumer with what the admin API shows beside it: its identities. */
export interface ConsumerDetails {
  consumer: Consumer;
  identities: ExternalIdentity[];
}

export function listConsumers(deps: FlowDeps, filter: ConsumerFilter, page: PageRequest): Promise<Page<Consumer>> {
  return fetchPage(page, (request) => deps.store.listConsumers(filter, request), (consumer) => consumer.id);
}

export async function getConsumer(deps: FlowDeps, id: string): Promise<Consumer> {
  const consumer = await deps.store.getConsumer(id);
  if (!consumer) throw new NotFound(`no consumer ${id}`);
  return consumer;
}

export async function describeConsumerDetails(deps: FlowDeps, consumer: Consumer): Promise<ConsumerDetails> {
  return { consumer, identities: await deps.store.listExternalIdentities(consumer.id) };
}

/** An email as every sign-in compares it (lower-cased), or InvalidInput. */
export function adminEmail(email: string): string {
  const normalized = normalizeEmail(email);
  if (!v.is(EMAIL, normalized)) throw new InvalidInput(`email ${email} is not a valid address`);
  return normalized;
}

/** A phone in E.164, or InvalidInput. */
export function adminPhone(phone: string): string {
  const normalized = normalizePhone(phone);
  if (!normalized) throw new InvalidInput(`phone ${phone} is not a valid E.164 number`);
  return normalized;
}

/**
 * Changes a consumer's email, phone or full name (null clears one), validated as `users create`
 * validates them (protocol/contacts.ts). The email and phone identities follow (a changed address is
 * no longer verified); an address that is another person's identity in the pool → 409.
 */
export async function updateConsumer(
  deps: FlowDeps,
  consumer: Consumer,
  input: { email?: string | null; phone?: string | null; fullName?: string | null },
  actor?: AuditActor,
): Promise<Consumer> {
  const change: ConsumerContactChange = {};
  if (input.email !== undefined) change.email = input.email === null ? null : adminEmail(input.email);
  if (input.phone !== undefined) change.phone = input.phone === null ? null : adminPhone(input.phone);
  if (input.fullName !== undefined) {
    const name = input.fullName?.trim() ?? null;
    if (name !== null && (name === '' || name.length > MAX_NAME_LENGTH)) throw new InvalidInput(`fullName must be 1 to ${MAX_NAME_LENGTH} characters, or null`);
    change.fullName = name;
  }
  const now = deps.clock.now();
  if (change.email) change.emailIdentityId = generateId('idn_', now);
  let updated;
  try {
    updated = await deps.store.updateConsumerContacts(consumer.id, change, now);
  } catch (error) {
    if (error instanceof UniqueConflict) throw new Conflict('that address is already another person\'s in this organization and environment', { cause: error });
    throw error;
  }
  if (!updated) throw new NotFound(`no consumer ${consumer.id}`);
  // The event names what changed, never the values (the audit trail must outlive an erasure).
  const changed = (['email', 'phone', 'fullName'] as const).filter((field) => change[field] !== undefined && change[field] !== consumer[field]);
  if (changed.length > 0) await deps.audit.record('consumer.updated', consumer.organizationId, withActor({ consumerId: consumer.id, changed }, actor));
  return updated;
}

/**
 * SPEC §10 disable: from this moment the person signs in nowhere and every session they had ends
 * (one transaction), so their live access and refresh tokens stop working at the next check.
 */
export async function disableConsumer(deps: FlowDeps, consumer: Consumer, actor?: AuditActor): Promise<Consumer> {
  const { disabled, sessionsRevoked } = await deps.store.disableConsumer(consumer.id, deps.clock.now());
  if (disabled || sessionsRevoked > 0) {
    await deps.audit.record('consumer.disabled', consumer.organizationId, withActor({ consumerId: consumer.id, sessionsRevoked }, actor));
  }
  return getConsumer(deps, consumer.id);
}

/** Undoes a disable: sign-ins work again (the sessions it ended stay ended). */
export async function enableConsumer(deps: FlowDeps, consumer: Consumer, actor?: AuditActor): Promise<Consumer> {
  if (await deps.store.enableConsumer(consumer.id, deps.clock.now())) {
    await deps.audit.record('consumer.enabled', consumer.organizationId, withActor({ consumerId: consumer.id }, actor));
  }
  return getConsumer(deps, consumer.id);
}

export function listConsumerSessions(deps: FlowDeps, consumer: Consumer, page: PageRequest): Promise<Page<Session>> {
  return fetchPage(page, (request) => deps.store.listConsumerSessions(consumer.id, request), (session) => session.id);
}

/** Revokes one of the consumer's sessions with its refresh tokens; another's session is 404. */
export async function revokeConsumerSession(deps: FlowDeps, consumer: Consumer, sessionId: string, actor?: AuditActor): Promise<Session> {
  const session = await deps.store.getSession(sessionId);
  if (!session || session.consumerId !== consumer.id) throw new NotFound(`no session ${sessionId} of ${consumer.id}`);
  if (await deps.store.revokeSession(session.id, deps.clock.now())) {
    await deps.audit.record('session.revoked', session.organizationId, withActor({ sessionId, consumerId: consumer.id, reason: 'admin' }, actor));
  }
  return (await deps.store.getSession(sessionId))!;
}

export function listConsumerGrants(deps: FlowDeps, consumer: Consumer, page: PageRequest): Promise<Page<Grant>> {
  return fetchPage(page, (request) => deps.store.listConsumerGrants(consumer.id, request), (grant) => grant.id);
}

/**
 * Revokes one of the consumer's grants and every token family under it — the same flow as SPEC
 * §6.5's DELETE /v1/auth/oauth/revoke. Another's grant is 404.
 */
export async function revokeConsumerGrant(deps: FlowDeps, consumer: Consumer, grantId: string, actor?: AuditActor): Promise<Grant> {
  const grant = await deps.store.getGrant(grantId);
  if (!grant || grant.consumerId !== consumer.id) throw new NotFound(`no grant ${grantId} of ${consumer.id}`);
  if (grant.revokedAt === null) await revokeGrantOf(deps, grant, actor);
  return (await deps.store.getGrant(grantId))!;
}

/** What an erasure answers: the pseudonym the person's audit trail now carries, and what went. */
export interface Erasure {
  pseudonym: string;
  erased: ErasureCounts;
}

/**
 * SPEC §10 delete = erasure (GDPR art. 17): the person's data goes from every table in one
 * transaction; their audit events stay, under a fresh pseudonym that nothing links to the erased id.
 * The erasure's own event carries only the pseudonym and counts.
 */
export async function eraseConsumer(deps: FlowDeps, consumer: Consumer, actor?: AuditActor): Promise<Erasure> {
  const now = deps.clock.now();
  const pseudonym = generateId('anon_', now);
  let recorded: AuditEvent[] = [];
  // The event is written in the erasure's transaction: an erasure is never unrecorded, nor recorded undone.
  const erased = await deps.store.eraseConsumer(consumer.id, pseudonym, (counts) =>
    (recorded = [deps.audit.prepare('consumer.erased', consumer.organizationId, withActor({ consumerId: pseudonym, erased: counts }, actor))]),
  );
  if (!erased) throw new NotFound(`no consumer ${consumer.id}`);
  deps.audit.committed(recorded);
  return { pseudonym, erased };
}
