import { generateId } from '../crypto/random.js';
import { maskDestination, type OtpDestination } from '../protocol/contacts.js';
import { InvalidSecondFactorToken } from '../protocol/errors.js';
import { OTP_TTL_SECONDS } from '../protocol/lifetimes.js';
import type { Application, Consumer, SignInWrites } from '../storage/store.js';
import type { ConsumerPrincipal } from './authenticate-consumer.js';
import type { FlowDeps } from './deps.js';
import { firstFactorOf, secondFactorsFor, type FirstFactor, type SecondFactorKind } from './second-factor-rule.js';

export { needsSecondFactor, secondFactorsFor, type FirstFactor, type SecondFactorKind } from './second-factor-rule.js';

/** JOSE `typ` of a consumer-API sign-in that passed its first factor and waits for the second (RFC 8725 §3.11). */
const CHALLENGE_TYP = 'second-factor-challenge+jwt';

/** As long as the SMS code it may ask for lives. */
const CHALLENGE_TTL_SECONDS = OTP_TTL_SECONDS;

/** The 200 of `/auth/otp/verify` when the sign-in still needs the second factor (SPEC §12). */
export interface SecondFactorRequired {
  secondFactorRequired: true;
  /** Back-compatible: `sms` when an SMS code can complete the sign-in (as before TOTP), else `totp`. */
  secondFactor: SecondFactorKind;
  /** Every factor that can complete it, TOTP first (a recovery code stands in for `totp`). */
  secondFactors: SecondFactorKind[];
  secondFactorToken: string;
  /** Masked, as `/v1/auth/login` shows it (SPEC §6.2); only when `sms` is among the factors. */
  phoneNumber?: string;
  expiresAt: string;
}

/** What a valid, unspent challenge says. */
export interface SecondFactorChallenge {
  jti: string;
  consumerId: string;
  expiresAtMs: number;
  /** The first factor that was verified: the email or phone whose code was right, or a passkey. */
  firstFactor: FirstFactor;
  /** The guest session sent along with the first factor, linked when the sign-in completes. */
  guestSessionId: string | undefined;
}

/**
 * Starts the pending state instead of a session (SPEC §12, designed like §6.2's `isOtpRequired`): a
 * short-lived signed token naming the consumer, the verified first factor (an email or SMS code, or —
 * for the passkey flows — `{ via: 'passkey', userVerified: false }`) and the guest, for this
 * application only (`aud`: its publishable key), single use through its `jti`. The answer lists the
 * factors that can complete it (secondFactorsFor).
 */
export async function issueSecondFactorChallenge(
  deps: FlowDeps,
  application: Application,
  consumer: Consumer,
  first: FirstFactor | OtpDestination,
  guest: ConsumerPrincipal | undefined,
): Promise<SecondFactorRequired> {
  const firstFactor = firstFactorOf(first);
  const factors = secondFactorsFor(consumer, firstFactor);
  const now = deps.clock.now();
  const iat = Math.floor(now / 1000);
  const exp = iat + CHALLENGE_TTL_SECONDS;
  const token = await deps.keyring.sign(
    {
      iss: deps.issuer, aud: application.publishableKey, sub: consumer.id, jti: generateId('sfc_', now), iat, exp,
      ...(firstFactor.via === 'otp' ? { channel: firstFactor.channel, destination: firstFactor.destination } : { ff: firstFactor.via }),
      ...(guest ? { gsid: guest.sessionId } : {}),
    },
    CHALLENGE_TYP,
  );
  const via = firstFactor.via === 'otp' ? firstFactor.channel : firstFactor.via;
  await deps.audit.record('login.second_factor_required', application.organizationId, { consumerId: consumer.id, applicationId: application.id, via, factors });
  return {
    secondFactorRequired: true,
    secondFactor: factors.includes('sms') ? 'sms' : 'totp',
    secondFactors: factors,
    secondFactorToken: token,
    ...(factors.includes('sms') ? { phoneNumber: maskDestination(consumer.phone!) } : {}),
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
  const { sub, jti, exp, channel, destination, ff, gsid } = payload;
  if (typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number') throw invalidChallenge();
  let firstFactor: FirstFactor;
  if (ff === 'password') firstFactor = { via: 'password' };
  // A passkey that needed a second factor was one without user verification.
  else if (ff === 'passkey') firstFactor = { via: 'passkey', userVerified: false };
  else if ((channel === 'email' || channel === 'sms') && typeof destination === 'string') firstFactor = { via: 'otp', channel, destination };
  else throw invalidChallenge();
  if (await deps.store.isAccessTokenRevoked(jti)) throw invalidChallenge();
  return { jti, consumerId: sub, expiresAtMs: exp * 1000, firstFactor, guestSessionId: typeof gsid === 'string' ? gsid : undefined };
}

/**
 * Spending the challenge, as part of the sign-in it completes (issue 12.1): one conditional insert
 * of its `jti` into the list of spent token ids (kept until the token would have expired, then
 * purged), so exactly one caller wins (SPEC §4 single use).
 */
export function challengeSpending(application: Application, challenge: SecondFactorChallenge): NonNullable<SignInWrites['spentTokenId']> {
  return { jti: challenge.jti, applicationId: application.id, expiresAt: challenge.expiresAtMs };
}
