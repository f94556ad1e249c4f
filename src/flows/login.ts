import { randomBytes } from 'node:crypto';
import { hashPassword, verifyPassword } from '../crypto/passwords.js';
import { generateId } from '../crypto/random.js';
import { maskDestination, normalizeEmail } from '../protocol/contacts.js';
import { BadRequest, OtpExpired, OtpInvalid, RateLimited, TotpInvalid } from '../protocol/errors.js';
import { InvalidCredentials } from '../protocol/oauth-errors.js';
import type { Application, Consumer } from '../storage/store.js';
import type { FlowDeps } from './deps.js';
import { disabledSignInError, refuseDisabled } from './consumer-status.js';
import { LATCHKEY_IDENTITY_ISSUER } from './identity-sign-in.js';
import { isInPool } from './environments.js';
import { newConsumer } from './new-consumer.js';
import { answerLoginSession, loginSessionWrites, newLoginSession, startLoginSession, type NewLoginSession } from './login-session.js';
import { attemptCode, redeemCode, requestOtp } from './otp.js';
import { needsSecondFactor, secondFactorsFor, type FirstFactor, type SecondFactorKind } from './second-factor-rule.js';
import { redeemTotpProof, type TotpProof } from './totp-proof.js';
import type { BearerPrincipal } from './oauth/tokens.js';

/** SPEC §6.2 response. */
export interface LoginResult {
  accessToken: string | null;
  userId: string;
  isOtpRequired: boolean;
  phoneNumber: string | null;
  /** SPEC §12, with `isOtpRequired`: the factors that can complete the sign-in, TOTP first. */
  secondFactors?: SecondFactorKind[];
}

/** What `/v1/auth/login` may carry besides the password (SPEC §6.2, §12). */
export interface LoginSecondFactor {
  /** The SMS code — or, for a person whose only second factor is TOTP, the authenticator-app code. */
  otpCode?: string;
  totpCode?: string;
  recoveryCode?: string;
}

// A hash to verify against when the email is unknown, so that answer costs what a wrong password
// costs (SPEC §6.2: same answer and similar time). Made once per process with the configured cost.
let dummyHash: Promise<string> | undefined;
function dummyPasswordHash(deps: FlowDeps): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'), deps.passwordHashing);
  return dummyHash;
}

/**
 * SPEC §6.2 step 2: email + password (+ a second factor when the user has one: the SMS `otpCode`, a
 * `totpCode` or a `recoveryCode`, SPEC §12). Every
 * attempt takes a point of the per-account lockout before the password is checked — so a burst of
 * concurrent guesses cannot all pass the gate — and a right password starts the count over.
 */
export async function loginWithPassword(deps: FlowDeps, application: Application, input: { email: string; password: string } & LoginSecondFactor): Promise<LoginResult> {
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
  const factors = secondFactorsFor(consumer, { via: 'password' });
  if (factors.length > 0) {
    // SPEC §6.2, §12: without a valid second factor the answer asks for one. A right code's use and
    // the login session commit together (issue 12.1).
    const started = newLoginSession(deps, application, consumer.id);
    if (await proveSecondFactor(deps, application, consumer, factors, input, started)) {
      return { accessToken: await answerLoginSession(deps, application, started), userId: consumer.id, isOtpRequired: false, phoneNumber };
    }
    await deps.audit.record('login.second_factor_required', organizationId, { consumerId: consumer.id, applicationId: application.id, factors });
    return { accessToken: null, userId: consumer.id, isOtpRequired: true, phoneNumber, secondFactors: factors };
  }

  const accessToken = await startLoginSession(deps, application, consumer.id);
  return { accessToken, userId: consumer.id, isOtpRequired: false, phoneNumber };
}

/**
 * SPEC §6.2, §12: whether what came with the password completes the sign-in, writing `started` with
 * the code's use. `totpCode` / `recoveryCode`: a wrong one is 401 totp_invalid /
 * recovery_code_invalid (and takes from the person's second-factor budget, 429 once spent).
 * `otpCode` keeps the seed's contract — a wrong one just asks again (attempts still burn the SMS
 * code): it is the SMS code when SMS can complete the sign-in, else (TOTP only) the app's code, so
 * clients written for SMS work unchanged for people who use an authenticator app.
 */
export async function proveSecondFactor(
  deps: FlowDeps,
  application: Application,
  consumer: Consumer,
  factors: SecondFactorKind[],
  input: LoginSecondFactor,
  started: NewLoginSession,
): Promise<boolean> {
  const context = { applicationId: application.id };
  if ((input.totpCode !== undefined || input.recoveryCode !== undefined) && factors.includes('totp')) {
    const proof: TotpProof = input.totpCode !== undefined ? { totpCode: input.totpCode } : { recoveryCode: input.recoveryCode! };
    await redeemTotpProof(deps, consumer, proof, 'sign_in', () => loginSessionWrites(started), context).catch((error: unknown) => Promise.reject(disabledSignInError(error)));
    return true;
  }
  if (input.otpCode === undefined) return false;
  if (factors.includes('sms')) {
    const attempt = await attemptCode(deps, application, { destination: consumer.phone!, code: input.otpCode }, null, () => loginSessionWrites(started));
    return attempt.outcome === 'verified';
  }
  try {
    await redeemTotpProof(deps, consumer, { totpCode: input.otpCode }, 'sign_in', () => loginSessionWrites(started), context);
    return true;
  } catch (error) {
    if (error instanceof TotpInvalid) return false;
    throw disabledSignInError(error);
  }
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

/** JOSE `typ` of the short-lived proof that the password step passed and the second factor is pending. */
const SECOND_FACTOR_TYP = 'second-factor+jwt';

/** The first factor of a hosted sign-in: a password, a code sent to an email address, or a passkey without user verification. */
export type HostedFirstFactor = 'password' | 'email' | 'passkey';

/** What a hosted pending second factor says: whose sign-in, how it started, what to show. */
export interface SecondFactorPending {
  userId: string;
  /** The masked phone an SMS code goes to (when SMS is among the factors). */
  hint: string;
  via: HostedFirstFactor;
}

const firstFactorOfHosted = (via: HostedFirstFactor, email: string): FirstFactor =>
  via === 'email' ? { via: 'otp', channel: 'email', destination: email } : via === 'passkey' ? { via: 'passkey', userVerified: false } : { via: 'password' };

/**
 * A 10-minute token naming the user whose password (or email code, `via`) was right, bound to the
 * authorization request it belongs to, with the masked phone to show — the hosted second-factor form
 * carries it instead of keeping server state.
 */
export async function signSecondFactorPending(deps: FlowDeps, application: Application, consumer: Consumer, requestId: string, via: HostedFirstFactor = 'password'): Promise<string> {
  const iat = Math.floor(deps.clock.now() / 1000);
  const hint = consumer.phone ? maskDestination(consumer.phone) : 'your phone';
  return deps.keyring.sign({ iss: deps.issuer, aud: application.publishableKey, sub: consumer.id, rid: requestId, hint, via, iat, exp: iat + 600 }, SECOND_FACTOR_TYP);
}

/** Reads a pending second factor of this request; undefined when it is not valid (expired, forged, other request). */
export async function readSecondFactorPending(deps: FlowDeps, application: Application, pending: string, requestId: string): Promise<SecondFactorPending | undefined> {
  try {
    const payload = await deps.keyring.verify(pending, { issuer: deps.issuer, audience: application.publishableKey, typ: SECOND_FACTOR_TYP });
    if (payload.rid !== requestId || typeof payload.sub !== 'string') return undefined;
    return { userId: payload.sub, hint: typeof payload.hint === 'string' ? payload.hint : 'your phone', via: payload.via === 'email' || payload.via === 'passkey' ? payload.via : 'password' };
  } catch {
    return undefined;
  }
}

/** SPEC §12: the factors that can complete a hosted sign-in whose first factor was `via`. */
export function hostedSecondFactors(consumer: Consumer, via: HostedFirstFactor): SecondFactorKind[] {
  return secondFactorsFor(consumer, firstFactorOfHosted(via, consumer.email ?? ''));
}

/** The hosted sign-in's user and the factors that can complete it now (SPEC §12); OtpExpired when it cannot be completed any more. */
export async function pendingSecondFactors(deps: FlowDeps, application: Application, pending: SecondFactorPending): Promise<{ consumer: Consumer; factors: SecondFactorKind[] }> {
  const consumer = await deps.store.getConsumer(pending.userId);
  if (!consumer || !isInPool(consumer, application)) throw new OtpExpired('this sign-in has expired; start again');
  return { consumer, factors: hostedSecondFactors(consumer, pending.via) };
}

/**
 * Completes a hosted sign-in with its second factor — the SMS `code`, a `totpCode` or a
 * `recoveryCode` — its login session written with the code's use. OtpInvalid / OtpExpired (SMS),
 * TotpInvalid / RecoveryCodeInvalid, RateLimited otherwise; BadRequest for a factor the person
 * does not have.
 */
export async function completeSecondFactor(
  deps: FlowDeps,
  application: Application,
  pending: SecondFactorPending,
  answer: { code: string } | TotpProof,
): Promise<string> {
  const { consumer, factors } = await pendingSecondFactors(deps, application, pending);
  if (factors.length === 0) throw new OtpExpired('this sign-in has expired; start again');
  const started = newLoginSession(deps, application, consumer.id);
  if ('code' in answer) {
    if (!factors.includes('sms')) throw new BadRequest('this account does not use SMS codes');
    await redeemCode(deps, application, { channel: 'sms', destination: consumer.phone!, code: answer.code }, null, () => loginSessionWrites(started));
  } else {
    if (!factors.includes('totp')) throw new BadRequest('this account has no authenticator app');
    await redeemTotpProof(deps, consumer, answer, 'sign_in', () => loginSessionWrites(started), { applicationId: application.id })
      .catch((error: unknown) => Promise.reject(disabledSignInError(error)));
  }
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
