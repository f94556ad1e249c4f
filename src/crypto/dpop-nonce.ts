import { constantTimeEqual, hmacSha256 } from './hash.js';

/**
 * RFC 9449 §8 server nonces without shared state: a nonce is `<window>.<HMAC(key, window)>`, where
 * the window is the number of 5-minute periods since the epoch. Any instance holding the same
 * LATCHKEY_SECRET recomputes it, so none stores or shares nonces; a nonce is accepted during its own
 * window and the next (5 to 10 minutes), which bounds how far ahead a proof can be pre-computed.
 */
export const DPOP_NONCE_WINDOW_SECONDS = 300;

const windowAt = (nowMs: number) => Math.floor(nowMs / 1000 / DPOP_NONCE_WINDOW_SECONDS);
const nonceFor = (key: Buffer, window: number) => `${window.toString(36)}.${hmacSha256(key, `dpop-nonce:${window}`)}`;

/** The nonce of the current window (RFC 9449 §8: sent in `DPoP-Nonce`). */
export function currentDpopNonce(key: Buffer, nowMs: number): string {
  return nonceFor(key, windowAt(nowMs));
}

/** True for a nonce of the current or the previous window under this key. */
export function isDpopNonceValid(key: Buffer, nonce: string, nowMs: number): boolean {
  const now = windowAt(nowMs);
  const window = Number.parseInt(nonce.split('.')[0] ?? '', 36);
  if (window !== now && window !== now - 1) return false;
  return constantTimeEqual(nonce, nonceFor(key, window));
}
