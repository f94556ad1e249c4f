import * as v from 'valibot';
import { hashPassword } from '../crypto/passwords.js';
import { generateId } from '../crypto/random.js';
import { normalizeEmail, normalizePhone } from '../protocol/contacts.js';
import { UniqueConflict, type Consumer, type Environment } from '../storage/store.js';
import type { FlowDeps } from './deps.js';
import { LATCHKEY_IDENTITY_ISSUER } from './identity-sign-in.js';
import { newConsumer } from './new-consumer.js';

/** Thrown for an administrative request that cannot be carried out; the CLI prints the message. */
export class UserAdminError extends Error {}

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
): Promise<Consumer> {
  const email = normalizeEmail(input.email);
  // The same rule as the login body, so every user created here can sign in.
  if (!v.is(EMAIL, email)) throw new UserAdminError(`--email ${input.email} is not a valid address`);
  const phone = input.phone === undefined ? undefined : normalizePhone(input.phone);
  if (input.phone !== undefined && !phone) throw new UserAdminError(`--phone ${input.phone} is not a valid E.164 number`);
  if (input.password.length < 8) throw new UserAdminError('the password must have at least 8 characters');
  const now = deps.clock.now();
  const consumer = newConsumer(input, 'authenticated', now, { email, phone: phone ?? null, fullName: input.fullName ?? null });
  try {
    await deps.store.createConsumerWithIdentity(consumer, generateId('idn_', now), emailIdentity(email));
  } catch (error) {
    if (error instanceof UniqueConflict) throw new UserAdminError(`${email} already has an account in ${input.environment}; use \`users set-password\``);
    throw error;
  }
  await deps.store.setPasswordHash(consumer.id, await hashPassword(input.password, deps.passwordHashing), now);
  if (phone) await deps.store.setSecondFactor(consumer.id, 'sms', now);
  await deps.audit.record('user.created', input.organizationId, { consumerId: consumer.id, environment: input.environment, hasSecondFactor: phone !== undefined });
  return { ...consumer, secondFactor: phone ? 'sms' : null };
}

/** Sets the password of the user who owns `email` in one environment (an account made by OTP sign-in included). */
export async function setUserPassword(deps: FlowDeps, input: { organizationId: string; environment: Environment; email: string; password: string }): Promise<Consumer> {
  const email = normalizeEmail(input.email);
  if (input.password.length < 8) throw new UserAdminError('the password must have at least 8 characters');
  const consumer = await deps.store.findConsumerByExternalIdentity(input, emailIdentity(email));
  if (!consumer) throw new UserAdminError(`no user with the email ${email} in ${input.environment}`);
  await deps.store.setPasswordHash(consumer.id, await hashPassword(input.password, deps.passwordHashing), deps.clock.now());
  await deps.audit.record('user.password_set', input.organizationId, { consumerId: consumer.id });
  return consumer;
}
