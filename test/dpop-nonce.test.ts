import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { currentDpopNonce, DPOP_NONCE_WINDOW_SECONDS, isDpopNonceValid } from '../src/crypto/dpop-nonce.js';

// RFC 9449 §8: server nonces any instance can check without shared state (docs/architecture.md).
describe('RFC 9449 §8: stateless DPoP nonces', () => {
  const key = randomBytes(32);
  const window = DPOP_NONCE_WINDOW_SECONDS * 1000;
  const start = Math.floor(Date.now() / window) * window;

  it('a nonce is the same on every instance with the key, valid in its window and the next, not after', () => {
    const nonce = currentDpopNonce(key, start);
    expect(currentDpopNonce(Buffer.from(key), start + window - 1)).toBe(nonce);
    expect(isDpopNonceValid(key, nonce, start)).toBe(true);
    expect(isDpopNonceValid(key, nonce, start + window)).toBe(true);
    expect(isDpopNonceValid(key, nonce, start + 2 * window)).toBe(false);
    // Not a nonce of the future either: a client cannot pre-compute proofs for later windows.
    expect(isDpopNonceValid(key, currentDpopNonce(key, start + window), start)).toBe(false);
  });

  it('a nonce under another key, or altered, is refused', () => {
    const nonce = currentDpopNonce(key, start);
    expect(isDpopNonceValid(randomBytes(32), nonce, start)).toBe(false);
    expect(isDpopNonceValid(key, `${nonce.slice(0, -1)}${nonce.endsWith('A') ? 'B' : 'A'}`, start)).toBe(false);
    expect(isDpopNonceValid(key, 'garbage', start)).toBe(false);
    expect(isDpopNonceValid(key, '', start)).toBe(false);
  });
});
