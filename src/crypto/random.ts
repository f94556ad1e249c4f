import { randomBytes, randomInt } from 'node:crypto';

/** Bytes of entropy in every opaque secret (codes, refresh tokens, secret keys): 256 bits. */
export const SECRET_BYTES = 32;

/**
 * An opaque bearer secret: `prefix` + base64url of 256 random bits from node:crypto (43 chars).
 * CHECKLIST "Everywhere": ≥ 128 bits for anything guessable online; we use 256.
 */
export function generateSecret(prefix: string): string {
  return prefix + randomBytes(SECRET_BYTES).toString('base64url');
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A type-prefixed, time-ordered id (SPEC §1): `prefix` + ULID (48-bit millisecond time, 80 random
 * bits, Crockford base32, 26 chars). Sorting ids sorts by creation time.
 */
export function generateId(prefix: string, nowMs: number = Date.now()): string {
  let time = '';
  let t = Math.floor(nowMs);
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let random = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      random += CROCKFORD[(value >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return prefix + time + random;
}

/**
 * A one-time passcode of `digits` decimal digits, uniform from node:crypto. Six digits are 20 bits:
 * enough only because a code lives 10 minutes and burns after 5 wrong tries (SPEC §4).
 */
export function generateNumericCode(digits: number): string {
  return String(randomInt(0, 10 ** digits)).padStart(digits, '0');
}
