import * as v from 'valibot';
import { hashPassword } from '../crypto/passwords.js';
import { generateId } from '../crypto/random.js';
import { normalizeEmail, normalizePhone } from '../protocol/contacts.js';
import { UniqueConflict, type Consumer, type Environment } from '../storage/store.js';
import { withActor, type AuditActor } from './admin-principal.js';
import type { FlowDeps } from './deps.js';
import { LATCHKEY_IDENTITY_ISSUER } from './identity-sign-in.js';
import { newConsumer } from './new-consumer.js';

/** Thrown for an administrative request that cannot be carried out; the CLI prints the message. */
export class UserAdminError extends Error {}

/** The address is already another user's in that environment (the admin API answers 409). */
export class UserConflictError extends UserAdminError {}

/** SPEC §6.2 (and every sign-in form): the shortest password a user may be given. */
const MIN_PASSWORD_LENGTH = 8;

const EMAIL = v.pipe(v.string(), v.email());

const emailIdentity = (email: string) => ({ provider: 'email', issuer: LATCHKEY_IDENTITY_ISSUER, subject: email });

/**
 * Creates a user of an organization's pool in one environment (SPEC §1): a consumer with a verified
 * email identity and an argon2id password hash; it signs in through that environment's applications
 * only. A phone turns on the SMS second factor of SPEC §6.2.
 */
export async function createUser(
  deps: FlowDeps,
  input: { organizationId: string; environment: Environment; email: string; password: string; phone?: string; fullName?: string },
  actor?: AuditActor,
): Promise<Consumer> {
  const email = normalizeEmail(input.email);
  // The same rule as the login body, so every user created here can sign in.
  if (!v.is(EMAIL, email)) throw new UserAdminError(`--email ${input.email} is not a valid address`);
  const phone = input.phone === undefined ? undefined : normalizePhone(input.phone);
  if (input.phone !== undefined && !phone) throw new UserAdminError(`--phone ${input.phone} is not a valid E.164 number`);
  if (input.password.length < MIN_PASSWORD_LENGTH) throw new UserAdminError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  if (!(await deps.store.getOrganization(input.organizationId))) throw new UserAdminError(`no organization ${input.organizationId}`);
  const now = deps.clock.now();
  const consumer = newConsumer(input, 'authenticated', now, { email, phone: phone ?? null, fullName: input.fullName ?? null });
  try {
    await deps.store.createConsumerWithIdentity(consumer, generateId('idn_', now), emailIdentity(email));
  } catch (error) {
    if (error instanceof UniqueConflict) throw new UserConflictError(`${email} already has an account in ${input.environment}; use \`users set-password\``);
    throw error;
  }
  await deps.store.setPasswordHash(consumer.id, await hashPassword(input.password, deps.passwordHashing), now);
  if (phone) await deps.store.setSecondFactor(consumer.id, 'sms', now);
  await deps.audit.record('user.created', input.organizationId, withActor({ consumerId: consumer.id, environment: input.environment, hasSecondFactor: phone !== undefined }, actor));
  return { ...consumer, secondFactor: phone ? 'sms' : null };
}

/** Sets the password of the user who owns `email` in one environment (an account made by OTP sign-in included). */
export async function setUserPassword(deps: FlowDeps, input: { organizationId: string; environment: Environment; email: string; password: string }): Promise<Consumer> {
  const email = normalizeEmail(input.email);
  checkPassword(input.password);
  const consumer = await deps.store.findConsumerByExternalIdentity(input, emailIdentity(email));
  if (!consumer) throw new UserAdminError(`no user with the email ${email} in ${input.environment}`);
  return setConsumerPassword(deps, consumer, input.password);
}

/**
 * Sets the password of a known consumer — what `users set-password` does once it found the user by
 * email, and what the admin API does by id. Password sign-in finds the person by their `latchkey`
 * email identity, so a consumer without one is refused: the password could never be used.
 */
export async function setConsumerPassword(deps: FlowDeps, consumer: Consumer, password: string, actor?: AuditActor): Promise<Consumer> {
  checkPassword(password);
  const identities = await deps.store.listExternalIdentities(consumer.id);
  if (!identities.some((identity) => identity.provider === 'email' && identity.issuer === LATCHKEY_IDENTITY_ISSUER)) {
    throw new UserAdminError(`${consumer.id} has no email address to sign in with; set one first`);
  }
  await deps.store.setPasswordHash(consumer.id, await hashPassword(password, deps.passwordHashing), deps.clock.now());
  await deps.audit.record('user.password_set', consumer.organizationId, withActor({ consumerId: consumer.id }, actor));
  return consumer;
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new UserAdminError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
}
