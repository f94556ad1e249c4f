import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

/** A client's DPoP key: its pair, public JWK and RFC 7638 thumbprint (`cnf.jkt`). */
export interface DpopKey {
  keyPair: CryptoKeyPair;
  jwk: JWK;
  jkt: string;
}

export async function dpopKey(): Promise<DpopKey> {
  const keyPair = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(keyPair.publicKey);
  return { keyPair, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

/** RFC 9449 §4.2 `ath`: base64url SHA-256 of the access token. */
export const athOf = (token: string) => createHash('sha256').update(token).digest('base64url');

/** An RFC 9449 §4.2 proof for `htm` `htu` (and `ath` of `accessToken`), made with jose, not with Latchkey's code. */
export function dpopProof(key: DpopKey, htm: string, htu: string, extra: { accessToken?: string; claims?: Record<string, unknown> } = {}): Promise<string> {
  return new SignJWT({
    jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000), htm, htu,
    ...(extra.accessToken !== undefined ? { ath: athOf(extra.accessToken) } : {}), ...extra.claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .sign(key.keyPair.privateKey);
}
