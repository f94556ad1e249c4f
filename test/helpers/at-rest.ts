import { createDecipheriv, hkdfSync } from 'node:crypto';

/**
 * An independent reader of values sealed at rest, written from the documented scheme rather than
 * imported from src/: HKDF-SHA256 (RFC 5869) of LATCHKEY_SECRET with salt `latchkey` and info
 * `signing-key-encryption/v1` gives a 32-byte AES-256-GCM key; a sealed value is
 * `v1.<iv>.<tag>.<ciphertext>` in base64url parts. If the server stored plaintext, a fixed key or
 * another layout, this fails to open it.
 */
export function openAtRest(secret: string, sealed: string): string {
  const key = Buffer.from(hkdfSync('sha256', secret, 'latchkey', 'signing-key-encryption/v1', 32));
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1') throw new Error(`not a v1 sealed value: ${sealed.slice(0, 8)}…`);
  const [, iv, tag, ciphertext] = parts.map((p) => Buffer.from(p, 'base64url'));
  if (iv!.length !== 12 || tag!.length !== 16) throw new Error('unexpected IV or tag length');
  const decipher = createDecipheriv('aes-256-gcm', key, iv!);
  decipher.setAuthTag(tag!);
  return Buffer.concat([decipher.update(ciphertext!), decipher.final()]).toString('utf8');
}

/** Whether `sealed` opens under a key derived from `secret` (GCM's tag refuses any other key). */
export function sealedUnder(secret: string, sealed: string): boolean {
  try {
    openAtRest(secret, sealed);
    return true;
  } catch {
    return false;
  }
}
