import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { constantTimeEqual, hashSecret } from '../src/crypto/hash.js';
import { decryptAtRest, deriveServerKeys, encryptAtRest } from '../src/crypto/key-encryption.js';
import { generateId, generateSecret, randomBytesPooled } from '../src/crypto/random.js';
import { computeS256Challenge, verifyPkceS256 } from '../src/protocol/pkce.js';

describe('crypto primitives', () => {
  it('SPEC §4: opaque secrets are prefix + 256 bits base64url, all distinct', () => {
    const secrets = new Set(Array.from({ length: 1000 }, () => generateSecret('rt_')));
    expect(secrets.size).toBe(1000);
    for (const secret of secrets) expect(secret).toMatch(/^rt_[A-Za-z0-9_-]{43}$/);
  });

  it('pooled random bytes: fresh on every draw across pool refills, each a copy the pool no longer holds', () => {
    const draws = Array.from({ length: 1000 }, (_, i) => randomBytesPooled(i % 2 === 0 ? 32 : 10)); // ~5 refills of 4 KiB
    const kept = draws.map((b) => b.toString('hex'));
    expect(new Set(kept).size).toBe(1000);
    randomBytesPooled(4096); // forces a refill and overwrites the whole pool
    expect(draws.map((b) => b.toString('hex'))).toEqual(kept);
    // 10,000 bytes in 32-byte draws: every byte value appears (a stuck or zeroed pool would not).
    const seen = new Set(Array.from({ length: 313 }, () => [...randomBytesPooled(32)]).flat());
    expect(seen.size).toBe(256);
    expect(() => randomBytesPooled(4097)).toThrow(RangeError);
  });

  it('SPEC §1: ids are prefix + 26-char ULIDs that sort by creation time', () => {
    const earlier = generateId('con_', 1_700_000_000_000);
    const later = generateId('con_', 1_700_000_000_001);
    expect(earlier).toMatch(/^con_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(earlier < later).toBe(true);
  });

  it('hashSecret is SHA-256 base64url; constantTimeEqual compares exactly', () => {
    expect(hashSecret('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => constantTimeEqual(a, b) === (a === b)));
  });

  it('encryptAtRest round-trips, and a wrong key or a flipped byte fails', () => {
    const keys = deriveServerKeys('x'.repeat(32));
    const sealed = encryptAtRest(keys.keyEncryptionKey, '{"d":"private"}');
    expect(sealed).not.toContain('private');
    expect(decryptAtRest(keys.keyEncryptionKey, sealed)).toBe('{"d":"private"}');
    expect(() => decryptAtRest(deriveServerKeys('y'.repeat(32)).keyEncryptionKey, sealed)).toThrow();
    const parts = sealed.split('.');
    const tampered = [parts[0], parts[1], parts[2], `A${parts[3]!.slice(1)}`].join('.');
    expect(() => decryptAtRest(keys.keyEncryptionKey, tampered === sealed ? sealed.replace(/.$/, 'A') : tampered)).toThrow();
  });

  it('server keys are separated by purpose', () => {
    const keys = deriveServerKeys('x'.repeat(32));
    expect(keys.keyEncryptionKey.equals(keys.refreshSuccessorKey)).toBe(false);
  });

  it('RFC 7636 Appendix B: the S256 example challenge', () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    expect(computeS256Challenge(verifier)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    expect(verifyPkceS256(verifier, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).toBe(true);
    expect(verifyPkceS256('short', computeS256Challenge('short'))).toBe(false);
  });
});
