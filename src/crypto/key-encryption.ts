import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** Keys derived from the one configured secret (LATCHKEY_SECRET), one per purpose (HKDF, RFC 5869). */
export interface ServerKeys {
  /** AES-256-GCM key that encrypts signing private keys at rest. */
  readonly keyEncryptionKey: Buffer;
  /** HMAC key that derives a refresh token's successor from the token itself (SPEC §4 reuse window). */
  readonly refreshSuccessorKey: Buffer;
  /** HMAC key for one-time passcodes: a 6-digit code hashed without a key is brute-forced offline. */
  readonly otpCodeKey: Buffer;
  /** HMAC key binding hosted-page CSRF tokens to the browser's CSRF cookie. */
  readonly csrfKey: Buffer;
  /** AES-256-GCM key that seals TOTP shared secrets at rest (SPEC §12): the server must read them back. */
  readonly totpSecretKey: Buffer;
  /** HMAC key for recovery codes: like OTP codes, short enough that an unkeyed hash is brute-forced offline. */
  readonly recoveryCodeKey: Buffer;
  /** HMAC key of DPoP nonces (RFC 9449 §8): any instance with the same secret checks them, nothing stored. */
  readonly dpopNonceKey: Buffer;
}

function derive(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'latchkey', purpose, 32));
}

/** Derives every purpose-bound key from the configured secret. */
export function deriveServerKeys(secret: string): ServerKeys {
  return {
    keyEncryptionKey: derive(secret, 'signing-key-encryption/v1'),
    refreshSuccessorKey: derive(secret, 'refresh-successor/v1'),
    otpCodeKey: derive(secret, 'otp-code/v1'),
    csrfKey: derive(secret, 'csrf/v1'),
    totpSecretKey: derive(secret, 'totp-secret/v1'),
    recoveryCodeKey: derive(secret, 'recovery-code/v1'),
    dpopNonceKey: derive(secret, 'dpop-nonce/v1'),
  };
}

/**
 * Encrypts with AES-256-GCM; output `v1.<iv>.<tag>.<ciphertext>` in base64url parts. `associatedData`
 * (authenticated, not stored) binds the value to its owner: it opens only with the same one.
 */
export function encryptAtRest(key: Buffer, plaintext: string, associatedData?: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (associatedData !== undefined) cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

/** Reverses {@link encryptAtRest}; throws when the key is wrong or the data was altered. */
export function decryptAtRest(key: Buffer, sealed: string, associatedData?: string): string {
  const [version, iv, tag, ciphertext] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new Error('unrecognised sealed value');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  if (associatedData !== undefined) decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
}
