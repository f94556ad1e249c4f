import { hmacSha256 } from '../crypto/hash.js';
import { generateNumericCode } from '../crypto/random.js';
import { DeliveryFailed, OtpExpired, OtpInvalid, RateLimited } from '../protocol/errors.js';
import { OTP_MAX_ATTEMPTS, OTP_RESEND_COOLDOWN_SECONDS, OTP_TTL_SECONDS } from '../protocol/lifetimes.js';
import { UniqueConflict, type Application, type Consumer, type ExternalIdentity, type OtpCode, type OtpRedemption, type SignInWrites, type UserPool } from '../storage/store.js';
import type { OtpDestination } from '../protocol/contacts.js';
import type { ConsumerPrincipal } from './authenticate-consumer.js';
import { refuseDisabled } from './consumer-status.js';
import type { FlowDeps } from './deps.js';
import {
  answerSignIn, LATCHKEY_IDENTITY_ISSUER, planVerifiedSignIn, readSentGuest, signInConflictError, type PlannedSignIn, type VerifiedFields,
} from './identity-sign-in.js';
import { settingsOf } from './organization-settings.js';
import { issueSecondFactorChallenge, needsSecondFactor, type SecondFactorRequired } from './second-factor-challenge.js';
import type { AuthSession } from './sessions.js';


/** Codes are stored as HMACs under a server key, bound to organization and destination. */
function hashOtpCode(deps: FlowDeps, organizationId: string, destination: string, code: string): string {
  return hmacSha256(deps.serverKeys.otpCodeKey, `${organizationId}\n${destination}\n${code}`);
}

function composeMessage(channel: 'email' | 'sms', code: string): { subject: string; text: string } {
  const minutes = OTP_TTL_SECONDS / 60;
  return channel === 'email'
    ? { subject: 'Your sign-in code', text: `Your sign-in code is ${code}. It expires in ${minutes} minutes.\n\nIf you did not ask for it, ignore this message.` }
    : { subject: 'Sign-in code', text: `${code} is your sign-in code. It expires in ${minutes} minutes.` };
}

/**
 * The rate-limit key of an address's budgets: per organization and environment (SPEC §1), so codes
 * asked through a test key never use up a live customer's budget.
 */
export function destinationBudgetKey(pool: UserPool, destination: string): string {
  return `${pool.organizationId}:${pool.environment}:${destination}`;
}

/**
 * SPEC §5.4 request: issues a fresh 6-digit code for the destination, replacing any earlier one
 * (but at most one per 60 s), and delivers it. Known and unknown destinations take the same path,
 * so the answer never tells whether an account exists. A failed delivery leaves no usable code.
 */
export async function requestOtp(deps: FlowDeps, application: Application, input: OtpDestination & { name?: string }): Promise<void> {
  const organizationId = application.organizationId;
  // Issue 11.6: the address's budget is only checked here and charged once a code is issued, so
  // refused requests (the cooldown below) cannot lock the address's owner out; those count against
  // the caller's IP budget (the route's limit) instead.
  const budgetKey = destinationBudgetKey(application, input.destination);
  await deps.rateLimits.check('otpRequestPerDestination', budgetKey);
  const now = deps.clock.now();
  const code = generateNumericCode(6);
  const codeHash = hashOtpCode(deps, organizationId, input.destination, code);
  const expiresAt = now + OTP_TTL_SECONDS * 1000;
  const replaced = await deps.store.replaceOtpCode(
    {
      organizationId, environment: application.environment, destination: input.destination, channel: input.channel, applicationId: application.id, codeHash,
      name: input.name ?? null, createdAt: now, expiresAt, attempts: 0, consumedAt: null,
    },
    OTP_RESEND_COOLDOWN_SECONDS,
  );
  if (!replaced.issued) {
    deps.metrics.rateLimited('otpResendCooldown');
    const resetAtMs = replaced.cooldownSince + OTP_RESEND_COOLDOWN_SECONDS * 1000;
    throw new RateLimited(`a code was sent to this address less than ${OTP_RESEND_COOLDOWN_SECONDS} seconds ago`, {
      points: 1, remaining: 0, retryAfterSeconds: (resetAtMs - now) / 1000, resetAtMs,
    });
  }
  try {
    await deps.rateLimits.charge('otpRequestPerDestination', budgetKey);
  } catch (error) {
    await deps.store.discardOtpCode(application, input.destination, codeHash);
    throw error;
  }
  try {
    await deps.delivery.send({ organizationId, channel: input.channel, to: input.destination, code, expiresAt, ...composeMessage(input.channel, code) });
  } catch (error) {
    await deps.store.discardOtpCode(application, input.destination, codeHash);
    await deps.audit.record('otp.delivery_failed', organizationId, { channel: input.channel, applicationId: application.id });
    throw new DeliveryFailed('the code could not be delivered; try again', { cause: error });
  }
  await deps.audit.record('otp.sent', organizationId, { channel: input.channel, applicationId: application.id });
}

/**
 * One atomic attempt at the destination's pending code in `pool` (the application's organization and
 * environment: a code asked for in test is not pending in live, SPEC §1) and, when it is right, the
 * sign-in `signIn` plans — written in the same transaction (issue 12.1) — for any flow that asks for
 * a code (OTP sign-in, the second factor of password login).
 */
export async function attemptCode(
  deps: FlowDeps,
  pool: UserPool,
  input: { destination: string; code: string },
  identity: ExternalIdentity | null,
  signIn: (verified: { code: OtpCode; owner: Consumer | undefined }) => SignInWrites,
): Promise<OtpRedemption> {
  const attempt = {
    pool, destination: input.destination, codeHash: hashOtpCode(deps, pool.organizationId, input.destination, input.code), maxAttempts: OTP_MAX_ATTEMPTS, now: deps.clock.now(),
  };
  let writes: SignInWrites = {};
  let owner: Consumer | undefined;
  const plan = (verified: { code: OtpCode; owner: Consumer | undefined }) => {
    owner = verified.owner;
    // SPEC §10: a disabled owner's right code signs nobody in (and starts no second factor); thrown
    // inside the redemption, so the code stays as it was.
    if (owner) refuseDisabled(owner);
    return (writes = signIn(verified));
  };
  const redeem = () => deps.store.redeemOtpCode(attempt, identity, plan);
  const result = await redeem()
    // Another request created the same identity first: nothing committed, and trying again finds it.
    .catch((error: unknown) => (error instanceof UniqueConflict ? redeem() : Promise.reject(error)))
    .catch((error: unknown) => Promise.reject(signInConflictError(error)));
  if (result.outcome === 'verified') {
    deps.audit.committed(writes.auditEvents ?? []);
    // OpenID Connect Core §5.1 `email_verified` / `phone_number_verified`: the person has just proven
    // the address — whoever signs in with it (or, before a second factor, owns it). Written right
    // after the redemption's commit (its writes are fixed by SignInWrites); the store sets it only
    // while that consumer's email or phone is this address.
    const consumerId = writes.session?.session.consumerId ?? owner?.id;
    if (consumerId) await deps.store.markContactVerified(consumerId, result.code.channel === 'email' ? 'email' : 'phone', input.destination, attempt.now);
  }
  return result;
}

/**
 * One rate-limited, atomic attempt at the destination's pending code, answered as SPEC §5.4 says:
 * wrong → OtpInvalid (with the tries left), expired, used or burnt → OtpExpired. A right code's
 * sign-in (`signIn`) commits with its consumption (issue 12.1). Returns the code and the signed-in
 * consumer as the store read it back.
 */
export async function redeemCode(
  deps: FlowDeps,
  application: Application,
  input: OtpDestination & { code: string },
  identity: ExternalIdentity | null,
  signIn: (verified: { code: OtpCode; owner: Consumer | undefined }) => SignInWrites,
): Promise<{ code: OtpCode; signedIn: Consumer | undefined }> {
  const organizationId = application.organizationId;
  await deps.rateLimits.consume('otpVerifyPerDestination', destinationBudgetKey(application, input.destination));
  const attempt = await attemptCode(deps, application, input, identity, signIn);
  if (attempt.outcome === 'unavailable') throw new OtpExpired('no valid code for this address: it expired, was used or burnt; request a new one');
  if (attempt.outcome === 'wrong') {
    await deps.audit.record('otp.failed', organizationId, { channel: input.channel, applicationId: application.id, attemptsLeft: attempt.attemptsLeft });
    if (attempt.attemptsLeft === 0) {
      await deps.audit.record('otp.burnt', organizationId, { channel: input.channel, applicationId: application.id });
      throw new OtpInvalid('wrong code; that was the last try, request a new code');
    }
    throw new OtpInvalid(`wrong code; ${attempt.attemptsLeft} ${attempt.attemptsLeft === 1 ? 'try' : 'tries'} left`);
  }
  return attempt;
}

/** The identity an email or phone code proves (issuer `latchkey`). */
export function identityOf(verified: OtpDestination): ExternalIdentity {
  return { provider: verified.channel === 'email' ? 'email' : 'phone', issuer: LATCHKEY_IDENTITY_ISSUER, subject: verified.destination };
}

/** The consumer fields a verified email or phone fills when they are empty. */
export function verifiedFieldsOf(verified: OtpDestination, nameIfNew?: string | null): VerifiedFields {
  return { ...(verified.channel === 'email' ? { email: verified.destination } : { phone: verified.destination }), ...(nameIfNew ? { fullNameIfNew: nameIfNew } : {}) };
}

/**
 * SPEC §5.4 verify: one atomic attempt against the pending code; on success the verified email or
 * phone signs its consumer in (creating it, or upgrading / absorbing a guest sent along), written
 * with the code's consumption (issue 12.1) — unless that consumer has a second factor, which a code
 * never replaces (SPEC §12): then the answer is the pending state, and nothing is linked or started
 * until the second factor completes.
 */
export async function verifyOtp(
  deps: FlowDeps,
  application: Application,
  input: OtpDestination & { code: string; dpopJkt?: string },
  guest: ConsumerPrincipal | undefined,
): Promise<AuthSession | SecondFactorRequired> {
  const settings = await settingsOf(deps, application);
  const sentGuest = await readSentGuest(deps, guest);
  const identity = identityOf(input);
  let outcome: PlannedSignIn | { secondFactorFor: Consumer } | undefined;
  const { signedIn } = await redeemCode(deps, application, input, identity, ({ code, owner }) => {
    // Issue 11.2 / SPEC §12: the emailed code alone must not open an account that has an SMS factor.
    if (owner && needsSecondFactor(owner, input)) {
      outcome = { secondFactorFor: owner };
      return {};
    }
    outcome = planVerifiedSignIn(deps, application, settings, { identity, owner, fields: verifiedFieldsOf(input, code.name), guest: sentGuest, dpopJkt: input.dpopJkt });
    return outcome.writes;
  });
  if (!outcome) throw new Error('a verified code planned no sign-in');
  if ('secondFactorFor' in outcome) return issueSecondFactorChallenge(deps, application, outcome.secondFactorFor, input, guest);
  return answerSignIn(deps, application, settings, outcome, signedIn);
}
