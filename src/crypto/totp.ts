import { Secret, TOTP } from 'otpauth';
import { randomBytesPooled } from './random.js';

// RFC 6238 (TOTP) through the `otpauth` library: the parameters every authenticator app supports —
// HMAC-SHA-1, 6 digits, 30-second steps from the Unix epoch (T0 = 0).

/** RFC 6238 §4.1 X: the time step, in seconds. */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** RFC 6238 §1.2: HMAC-SHA-1 is the one algorithm every authenticator app implements. */
export const TOTP_ALGORITHM = 'SHA1';
/** RFC 6238 §5.2: one step either side is accepted, for clock drift and the time it takes to type. */
export const TOTP_WINDOW_STEPS = 1;
/** RFC 4226 §4 R6 (which RFC 6238 §5.1 keeps): the shared secret is 160 bits. */
const TOTP_SECRET_BYTES = 20;

/** A new shared secret from node:crypto (160 random bits), in base32 as authenticator apps take it. */
export function generateTotpSecret(): string {
  // A copy in an ArrayBuffer of its own: a small Buffer's `.buffer` may be Node's shared pool.
  return new Secret({ buffer: Uint8Array.from(randomBytesPooled(TOTP_SECRET_BYTES)).buffer }).base32;
}

function totpOf(secretBase32: string, issuer = '', label = 'OTPAuth'): TOTP {
  return new TOTP({ issuer, label, secret: Secret.fromBase32(secretBase32), algorithm: TOTP_ALGORITHM, digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS });
}

/** RFC 6238 §4.2: T = floor((now − T0) / X), the time step of an instant (ms). */
export function totpStepAt(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
}

/**
 * The time step whose code `code` is, among the current step and one either side (RFC 6238 §5.2), or
 * null when it is none of them. The caller refuses a step already used (§5.2: no second use).
 */
export function matchTotpStep(secretBase32: string, code: string, nowMs: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totpOf(secretBase32).validate({ token: code, timestamp: nowMs, window: TOTP_WINDOW_STEPS });
  return delta === null ? null : totpStepAt(nowMs) + delta;
}

/** The RFC 6238 code of `secretBase32` at an instant (ms): for tests and tools, never sent anywhere. */
export function totpCodeAt(secretBase32: string, nowMs: number): string {
  return totpOf(secretBase32).generate({ timestamp: nowMs });
}

/**
 * The `otpauth://totp/…` key URI authenticator apps scan (Google Authenticator Key URI Format):
 * `issuer` names the service, `label` the account.
 */
export function totpKeyUri(secretBase32: string, issuer: string, label: string): string {
  return totpOf(secretBase32, issuer, label).toString();
}

// Recovery codes: 10 characters of Crockford's base32 (50 random bits), shown as `xxxxx-xxxxx`.
// Guessing one online is bounded by the second-factor rate limit; offline, they are keyed hashes.
const RECOVERY_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** A new single-use recovery code, `xxxxx-xxxxx`, from node:crypto. */
export function generateRecoveryCode(): string {
  const bytes = randomBytesPooled(10);
  const chars = [...bytes].map((byte) => RECOVERY_ALPHABET[byte & 31]);
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

/**
 * A recovery code as typed, in its canonical form: case, spaces and dashes ignored, and the letters
 * Crockford's base32 reads as digits (i, l → 1; o → 0) read so. Undefined when it cannot be one.
 */
export function normalizeRecoveryCode(typed: string): string | undefined {
  const code = typed.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  return /^[0-9a-hjkmnp-tv-z]{10}$/.test(code) ? code : undefined;
}
