import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a secret, base64url. Opaque secrets are stored and looked up only by this (SPEC §4). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** HMAC-SHA256 of `message` under `key`, base64url. */
export function hmacSha256(key: Buffer, message: string): string {
  return createHmac('sha256', key).update(message, 'utf8').digest('base64url');
}

/** Compares two strings in time independent of where they differ (STYLE §11). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  // Hashing first gives equal-length buffers, so the length of `b` does not leak either.
  return timingSafeEqual(left, right) && a.length === b.length;
}
