import { randomFillSync, randomInt } from 'node:crypto';

/** Bytes of entropy in every opaque secret (codes, refresh tokens, secret keys): 256 bits. */
export const SECRET_BYTES = 32;

// Random bytes are drawn from node:crypto 4 KiB at a time and handed out once each, in order: one
// CSPRNG call per ~100 ids and secrets instead of one each (the calls were ~4 % of a token request's
// CPU). Node's own randomUUID() caches its entropy the same way. Every byte is used exactly once.
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** `size` fresh random bytes (copied out of the pool, so callers may keep them). */
export function randomBytesPooled(size: number): Buffer {
  if (size > POOL_SIZE) throw new RangeError(`at most ${POOL_SIZE} random bytes at once`);
  if (poolOffset + size > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = Buffer.from(pool.subarray(poolOffset, poolOffset + size));
  // Used bytes are wiped, so the pool never holds a secret that was already handed out.
  pool.fill(0, poolOffset, poolOffset + size);
  poolOffset += size;
  return bytes;
}

/**
 * An opaque bearer secret: `prefix` + base64url of 256 random bits from node:crypto (43 chars).
 * CHECKLIST "Everywhere": ≥ 128 bits for anything guessable online; we use 256.
 */
export function generateSecret(prefix: string): string {
  return prefix + randomBytesPooled(SECRET_BYTES).toString('base64url');
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
  const bytes = randomBytesPooled(10);
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
