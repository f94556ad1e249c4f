import type { OtpDestination } from '../protocol/contacts.js';
import type { Consumer } from '../storage/store.js';

/** A second factor a person may set (SPEC §12): an authenticator app (RFC 6238), or SMS codes to their phone. */
export type SecondFactorKind = 'totp' | 'sms';

/**
 * What a sign-in has proven before any second factor: a password; a one-time code sent to an email
 * address or phone; or a passkey, with or without user verification (WebAuthn `uv`).
 */
export type FirstFactor =
  | { via: 'password' }
  | { via: 'otp'; channel: 'email' | 'sms'; destination: string }
  | { via: 'passkey'; userVerified: boolean };

/** The fields of a consumer the rule reads. */
export type SecondFactorHolder = Pick<Consumer, 'secondFactor' | 'phone' | 'totpEnabledAt'>;

/** A first factor as older callers name it (the OTP destination whose code was right), or the new shape. */
export function firstFactorOf(first: FirstFactor | OtpDestination | undefined): FirstFactor {
  if (!first) return { via: 'password' };
  return 'via' in first ? first : { via: 'otp', channel: first.channel, destination: first.destination };
}

/**
 * SPEC §12 — one rule on every path a person drives (hosted pages, consumer API, API mode): the
 * second factors that can complete a sign-in whose first factor is `first`, TOTP first. Empty: none
 * is needed. A passkey with user verification is two factors already. An SMS code to the
 * second-factor phone itself is the SMS factor — but never the TOTP factor: someone with TOTP who
 * signed in by SMS code still gives the TOTP (or a recovery code).
 */
export function secondFactorsFor(consumer: SecondFactorHolder, first?: FirstFactor | OtpDestination): SecondFactorKind[] {
  const factor = firstFactorOf(first);
  if (factor.via === 'passkey' && factor.userVerified) return [];
  const factors: SecondFactorKind[] = [];
  if (consumer.totpEnabledAt !== null) factors.push('totp');
  const isSmsSet = consumer.secondFactor === 'sms' && consumer.phone !== null;
  const isSmsTheFirstFactor = factor.via === 'otp' && factor.channel === 'sms' && factor.destination === consumer.phone;
  if (isSmsSet && !isSmsTheFirstFactor) factors.push('sms');
  return factors;
}

/**
 * SPEC §12: true when a sign-in whose first factor is `first` (default: a password) still needs one
 * of the person's second factors. For passkeys: `needsSecondFactor(consumer, { via: 'passkey',
 * userVerified })`.
 */
export function needsSecondFactor(consumer: SecondFactorHolder, first?: FirstFactor | OtpDestination): boolean {
  return secondFactorsFor(consumer, first).length > 0;
}
