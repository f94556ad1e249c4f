import { hmacSha256 } from '../crypto/hash.js';
import { generateNumericCode } from '../crypto/random.js';
import { DeliveryFailed, OtpExpired, OtpInvalid, RateLimited } from '../protocol/errors.js';
import { OTP_MAX_ATTEMPTS, OTP_RESEND_COOLDOWN_SECONDS, OTP_TTL_SECONDS } from '../protocol/lifetimes.js';
import type { Application, UserPool } from '../storage/store.js';
import type { ConsumerPrincipal } from './authenticate-consumer.js';
import type { FlowDeps } from './deps.js';
import { LATCHKEY_IDENTITY_ISSUER, signInVerifiedIdentity } from './identity-sign-in.js';
import type { AuthSession } from './sessions.js';

/** A normalized OTP destination: lower-cased email or E.164 phone. */
export interface OtpDestination {
  channel: 'email' | 'sms';
  destination: string;
}

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
 * SPEC §5.4 request: issues a fresh 6-digit code for the destination, replacing any earlier one
 * (but at most one per 60 s), and delivers it. Known and unknown destinations take the same path,
 * so the answer never tells whether an account exists. A failed delivery leaves no usable code.
 */
export async function requestOtp(deps: FlowDeps, application: Application, input: OtpDestination & { name?: string }): Promise<void> {
  const organizationId = application.organizationId;
  await deps.rateLimits.consume('otpRequestPerDestination', `${organizationId}:${input.destination}`);
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
 * environment: a code asked for in test is not pending in live, SPEC §1), for any flow that asks for
 * a code (OTP sign-in, the second factor of password login).
 */
export function attemptCode(deps: FlowDeps, pool: UserPool, destination: string, code: string) {
  return deps.store.attemptOtpCode(pool, destination, hashOtpCode(deps, pool.organizationId, destination, code), OTP_MAX_ATTEMPTS, deps.clock.now());
}

/**
 * SPEC §5.4 verify: one atomic attempt against the pending code; on success the verified email or
 * phone signs its consumer in (creating it, or upgrading / absorbing a guest sent along).
 */
export async function verifyOtp(
  deps: FlowDeps,
  application: Application,
  input: OtpDestination & { code: string },
  guest: ConsumerPrincipal | undefined,
): Promise<AuthSession> {
  const organizationId = application.organizationId;
  await deps.rateLimits.consume('otpVerifyPerDestination', `${organizationId}:${input.destination}`);
  const attempt = await attemptCode(deps, application, input.destination, input.code);
  if (attempt.outcome === 'unavailable') throw new OtpExpired('no valid code for this address: it expired, was used or burnt; request a new one');
  if (attempt.outcome === 'wrong') {
    await deps.audit.record('otp.failed', organizationId, { channel: input.channel, applicationId: application.id, attemptsLeft: attempt.attemptsLeft });
    if (attempt.attemptsLeft === 0) {
      await deps.audit.record('otp.burnt', organizationId, { channel: input.channel, applicationId: application.id });
      throw new OtpInvalid('wrong code; that was the last try, request a new code');
    }
    throw new OtpInvalid(`wrong code; ${attempt.attemptsLeft} ${attempt.attemptsLeft === 1 ? 'try' : 'tries'} left`);
  }
  const isEmail = input.channel === 'email';
  return signInVerifiedIdentity(
    deps,
    application,
    { provider: isEmail ? 'email' : 'phone', issuer: LATCHKEY_IDENTITY_ISSUER, subject: input.destination },
    {
      ...(isEmail ? { email: input.destination } : { phone: input.destination }),
      ...(attempt.code.name ? { fullNameIfNew: attempt.code.name } : {}),
    },
    guest,
  );
}
