import { randomBytes } from 'node:crypto';
import { hashPassword, verifyPassword } from '../crypto/passwords.js';
import { generateId } from '../crypto/random.js';
import { maskDestination, normalizeEmail } from '../protocol/contacts.js';
import { OtpExpired, OtpInvalid, RateLimited } from '../protocol/errors.js';
import { InvalidCredentials } from '../protocol/oauth-errors.js';
import type { Application, Consumer } from '../storage/store.js';
import type { FlowDeps } from './deps.js';
import { refuseDisabled } from './consumer-status.js';
import { LATCHKEY_IDENTITY_ISSUER } from './identity-sign-in.js';
import { isInPool } from './environments.js';
import { newConsumer } from './new-consumer.js';
import { answerLoginSession, loginSessionWrites, newLoginSession, startLoginSession, type NewLoginSession } from './login-session.js';
import { attemptCode, redeemCode, requestOtp } from './otp.js';
import { needsSecondFactor } from './second-factor-challenge.js';
import type { BearerPrincipal } from './oauth/tokens.js';

/** SPEC §6.2 response. */
export interface LoginResult {
  accessToken: string | null;
  userId: string;
  isOtpRequired: boolean;
  phoneNumber: string | null;
}

// A hash to verify against when the email is unknown, so that answer costs what a wrong password
// costs (SPEC §6.2: same answer and similar time). Made once per process with the configured cost.
let dummyHash: Promise<string> | undefined;
function dummyPasswordHash(deps: FlowDeps): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'), deps.passwordHashing);
  return dummyHash;
}

/**
 * SPEC §6.2 step 2: email + password (+ the SMS code when the user has a second factor). Every
 * attempt takes a point of the per-account lockout before the password is checked — so a burst of
 * concurrent guesses cannot all pass the gate — and a right password starts the count over.
 */
export async function loginWithPassword(deps: FlowDeps, application: Application, input: { email: string; password: string; otpCode?: string }): Promise<LoginResult> {
  const organizationId = application.organizationId;
  const email = normalizeEmail(input.email);
  // An account is one per environment (SPEC §1): failures through a test key never lock out the live one.
  const lockoutKey = `${organizationId}:${application.environment}:${email}`;
  await deps.rateLimits.consume('loginFailuresPerAccount', lockoutKey);

  const user = await deps.store.findPasswordUser(application, email);
  const isPasswordRight = user
    ? await verifyPassword(user.passwordHash, input.password)
    : (await verifyPassword(await dummyPasswordHash(deps), input.password), false);
  if (!user || !isPasswordRight) {
    await deps.audit.record('login.failed', organizationId, { applicationId: application.id, ...(user ? { consumerId: user.consumer.id } : {}) });
    throw new InvalidCredentials('wrong email or password');
  }
  await deps.rateLimits.reset('loginFailuresPerAccount', lockoutKey);

  const { consumer } = user;
  if (consumer.disabledAt !== null) {
    // SPEC §10: refused before any code is sent; said only to whoever knows the password.
    await deps.audit.record('login.failed', organizationId, { applicationId: application.id, consumerId: consumer.id, reason: 'disabled' });
    refuseDisabled(consumer);
  }
  const phoneNumber = consumer.phone ? maskDestination(consumer.phone) : null;
  if (needsSecondFactor(consumer)) {
    // SPEC §6.2: without a valid otpCode the answer asks for one (attempts still burn the code). A
    // right code's consumption and the login session commit together (issue 12.1).
    const started = newLoginSession(deps, application, consumer.id);
    const attempt = input.otpCode
      ? await attemptCode(deps, application, { destination: consumer.phone!, code: input.otpCode }, null, () => loginSessionWrites(started))
      : undefined;
    if (attempt?.outcome !== 'verified') {
      await deps.audit.record('login.second_factor_required', organizationId, { consumerId: consumer.id, applicationId: application.id });
      return { accessToken: null, userId: consumer.id, isOtpRequired: true, phoneNumber };
    }
    return { accessToken: await answerLoginSession(deps, application, started), userId: consumer.id, isOtpRequired: false, phoneNumber };
  }

  const accessToken = await startLoginSession(deps, application, consumer.id);
  return { accessToken, userId: consumer.id, isOtpRequired: false, phoneNumber };
}

/**
 * SPEC §6.2: sends the second-factor code to the user's phone. Answers the same for an unknown user
 * or one without a second factor, so user ids cannot be probed.
 */
export async function sendLoginOtp(deps: FlowDeps, application: Application, userId: string): Promise<void> {
  const consumer = await deps.store.getConsumer(userId);
  if (!consumer || !isInPool(consumer, application) || consumer.secondFactor !== 'sms' || !consumer.phone) return;
  try {
    await requestOtp(deps, application, { channel: 'sms', destination: consumer.phone });
  } catch (error) {
    // A resend inside the cooldown (or past the limit) is dropped quietly: a 429 here would tell
    // that this userId has a second factor. The code sent earlier is still valid.
    if (!(error instanceof RateLimited)) throw error;
  }
}

/** SPEC §6.2 logout: the login token's session ends at once. */
export async function logoutUser(deps: FlowDeps, principal: BearerPrincipal): Promise<void> {
  if (principal.session && (await deps.store.revokeSession(principal.session.id, deps.clock.now()))) {
    await deps.audit.record('session.revoked', principal.session.organizationId, { sessionId: principal.session.id, reason: 'logout' });
  }
}

/** JOSE `typ` of the short-lived proof that the password step passed and the SMS code is pending. */
const SECOND_FACTOR_TYP = 'second-factor+jwt';

/**
 * A 10-minute token naming the user whose password (or email code) was right, bound to the
 * authorization request it belongs to, with the masked phone to show — the hosted second-factor form
 * carries it instead of keeping server state.
 */
export async function signSecondFactorPending(deps: FlowDeps, application: Application, consumer: Consumer, requestId: string): Promise<string> {
  const iat = Math.floor(deps.clock.now() / 1000);
  const hint = consumer.phone ? maskDestination(consumer.phone) : 'your phone';
  return deps.keyring.sign({ iss: deps.issuer, aud: application.publishableKey, sub: consumer.id, rid: requestId, hint, iat, exp: iat + 600 }, SECOND_FACTOR_TYP);
}

/** Reads a pending second factor of this request; undefined when it is not valid (expired, forged, other request). */
export async function readSecondFactorPending(deps: FlowDeps, application: Application, pending: string, requestId: string): Promise<{ userId: string; hint: string } | undefined> {
  try {
    const payload = await deps.keyring.verify(pending, { issuer: deps.issuer, audience: application.publishableKey, typ: SECOND_FACTOR_TYP });
    if (payload.rid !== requestId || typeof payload.sub !== 'string') return undefined;
    return { userId: payload.sub, hint: typeof payload.hint === 'string' ? payload.hint : 'your phone' };
  } catch {
    return undefined;
  }
}

/** Completes a sign-in with the SMS code, its login session written with the code's consumption; OtpInvalid / OtpExpired otherwise. */
export async function completeSecondFactor(deps: FlowDeps, application: Application, userId: string, code: string): Promise<string> {
  const consumer = await deps.store.getConsumer(userId);
  if (!consumer?.phone || !isInPool(consumer, application)) throw new OtpExpired('this sign-in has expired; start again');
  const started = newLoginSession(deps, application, consumer.id);
  await redeemCode(deps, application, { channel: 'sms', destination: consumer.phone, code }, null, () => loginSessionWrites(started));
  return answerLoginSession(deps, application, started);
}

/**
 * Password-less sign-in by an emailed code (hosted pages): the verified email's consumer — created
 * on first use — gets a login session, unless it has an SMS second factor: an email code replaces
 * the password, never the second factor (SPEC §6.2, §12), so the caller must ask for the SMS code next.
 */
export async function loginWithEmailCode(
  deps: FlowDeps,
  application: Application,
  email: string,
  code: string,
): Promise<{ loginToken: string } | { secondFactorFor: Consumer }> {
  const destination = normalizeEmail(email);
  const identity = { provider: 'email', issuer: LATCHKEY_IDENTITY_ISSUER, subject: destination };
  let outcome: { secondFactorFor: Consumer } | NewLoginSession | undefined;
  // The code's consumption, the consumer it creates on first use and the login session commit together (issue 12.1).
  const attempt = await attemptCode(deps, application, { destination, code }, identity, ({ owner }) => {
    if (owner && needsSecondFactor(owner, { channel: 'email', destination })) {
      outcome = { secondFactorFor: owner };
      return {};
    }
    const now = deps.clock.now();
    const created = owner ? undefined : newConsumer(application, 'authenticated', now, { email: destination });
    outcome = newLoginSession(deps, application, (owner ?? created)!.id);
    return {
      ...(created ? { newConsumer: { consumer: created, identityId: generateId('idn_', now), identity } } : {}),
      ...loginSessionWrites(outcome),
    };
  });
  if (attempt.outcome === 'unavailable') throw new OtpExpired('the code has expired or was used; ask for a new one');
  if (attempt.outcome === 'wrong') throw new OtpInvalid('wrong code');
  if (!outcome) throw new Error('a verified code planned no sign-in');
  if ('secondFactorFor' in outcome) return outcome;
  return { loginToken: await answerLoginSession(deps, application, outcome) };
}
