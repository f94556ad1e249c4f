import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../crypto/hash.js';

/** RFC 7636 §4.1: code_verifier = 43–128 unreserved characters. */
export const CODE_VERIFIER_PATTERN = /^[A-Za-z0-9\-._~]{43,128}$/;
/** RFC 7636 §4.2: an S256 challenge is base64url(SHA-256(verifier)) without padding: 43 chars. */
export const CODE_CHALLENGE_PATTERN = /^[A-Za-z0-9\-_]{43}$/;

/** RFC 7636 §4.2: code_challenge = BASE64URL(SHA256(ASCII(code_verifier))). */
export function computeS256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** RFC 7636 §4.6: the verifier must be well formed and hash to the stored challenge. */
export function verifyPkceS256(verifier: string, challenge: string): boolean {
  return CODE_VERIFIER_PATTERN.test(verifier) && constantTimeEqual(computeS256Challenge(verifier), challenge);
}
