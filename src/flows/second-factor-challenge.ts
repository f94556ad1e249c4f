import { generateId } from '../crypto/random.js';
import { maskDestination, type OtpDestination } from '../protocol/contacts.js';
import { InvalidSecondFactorToken } from '../protocol/errors.js';
import { OTP_TTL_SECONDS } from '../protocol/lifetimes.js';
import type { Application, Consumer, SignInWrites } from '../storage/store.js';
import type { ConsumerPrincipal } from './authenticate-consumer.js';
import type { FlowDeps } from './deps.js';

/** JOSE `typ` of a consumer-API sign-in that passed its first factor and waits for the second (RFC 8725 §3.11). */
const CHALLENGE_TYP = 'second-factor-challenge+jwt';

/** As long as the SMS code it asks for may live. */
const CHALLENGE_TTL_SECONDS = OTP_TTL_SECONDS;

/** The 200 of `/auth/otp/verify` when the sign-in still needs the second factor (SPEC §12). */
export interface SecondFactorRequired {
  secondFactorRequired: true;
  secondFactor: 'sms';
  secondFactorToken: string;
  /** Masked, as `/v1/auth/login` shows it (SPEC §6.2). */
  phoneNumber: string;
  expiresAt: string;
}

/**
 * The first factor a pending sign-in passed: a code sent to an address, or — SPEC §12 — a passkey
 * used without user verification (`destination`: the passkey's id).
 */
export type FirstFactor = OtpDestination | { channel: 'passkey'; destination: string };

/** What a valid, unspent challenge says. */
export interface SecondFactorChallenge {
  jti: string;
  consumerId: string;
  expiresAtMs: number;
  /** The first factor that was verified: the email or phone whose code was right, or the passkey. */
  verified: FirstFactor;
  /** The guest session sent along with the first factor, linked when the sign-in completes. */
  guestSessionId: string | undefined;
}

/**
 * SPEC §12: true when a sign-in whose first factor is a password, or a code sent to `verified`,
 * still needs the consumer's second factor — an SMS code to its phone. A code to that very phone
 * already is that factor.
 */
export function needsSecondFactor(consumer: Pick<Consumer, 'secondFactor' | 'phone'>, verified?: OtpDestination): boolean {
  if (consumer.secondFactor !== 'sms' || !consumer.phone) return false;
  return !(verified?.channel === 'sms' && verified.destination === consumer.phone);
}

/**
 * Starts the pending state instead of a session (SPEC §12, designed like §6.2's `isOtpRequired`): a
 * short-lived signed token naming the consumer, the verified first factor and the guest, for this
 * application only (`aud`: its publishable key), single use through its `jti`.
 */
export async function issueSecondFactorChallenge(
  deps: FlowDeps,
  application: Application,
  consumer: Consumer,
  verified: FirstFactor,
  guest: ConsumerPrincipal | undefined,
): Promise<SecondFactorRequired> {
  const now = deps.clock.now();
  const iat = Math.floor(now / 1000);
  const exp = iat + CHALLENGE_TTL_SECONDS;
  const token = await deps.keyring.sign(
    {
      iss: deps.issuer, aud: application.publishableKey, sub: consumer.id, jti: generateId('sfc_', now), iat, exp,
      channel: verified.channel, destination: verified.destination, ...(guest ? { gsid: guest.sessionId } : {}),
    },
    CHALLENGE_TYP,
  );
  await deps.audit.record('login.second_factor_required', application.organizationId, { consumerId: consumer.id, applicationId: application.id, via: verified.channel });
  return {
    secondFactorRequired: true,
    secondFactor: 'sms',
    secondFactorToken: token,
    phoneNumber: maskDestination(consumer.phone!),
    expiresAt: new Date(exp * 1000).toISOString(),
  };
}

/** The answer to a challenge that is forged, expired, of another application or already spent. */
export const invalidChallenge = (cause?: unknown) => new InvalidSecondFactorToken('the second-factor token is invalid, expired or already used; sign in again', { cause });

/** Reads a challenge of this application that is unexpired and unspent; InvalidSecondFactorToken otherwise. */
export async function readSecondFactorChallenge(deps: FlowDeps, application: Application, token: string): Promise<SecondFactorChallenge> {
  let payload;
  try {
    payload = await deps.keyring.verify(token, { issuer: deps.issuer, audience: application.publishableKey, typ: CHALLENGE_TYP, requiredClaims: ['sub', 'jti', 'exp'] });
  } catch (error) {
    throw invalidChallenge(error);
  }
  const { sub, jti, exp, channel, destination, gsid } = payload;
  if (typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number' || (channel !== 'email' && channel !== 'sms' && channel !== 'passkey') || typeof destination !== 'string') {
    throw invalidChallenge();
  }
  if (await deps.store.isAccessTokenRevoked(jti)) throw invalidChallenge();
  return { jti, consumerId: sub, expiresAtMs: exp * 1000, verified: { channel, destination }, guestSessionId: typeof gsid === 'string' ? gsid : undefined };
}

/**
 * Spending the challenge, as part of the sign-in it completes (issue 12.1): one conditional insert
 * of its `jti` into the list of spent token ids (kept until the token would have expired, then
 * purged), so exactly one caller wins (SPEC §4 single use).
 */
export function challengeSpending(application: Application, challenge: SecondFactorChallenge): NonNullable<SignInWrites['spentTokenId']> {
  return { jti: challenge.jti, applicationId: application.id, expiresAt: challenge.expiresAtMs };
}
