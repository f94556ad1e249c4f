import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { decryptAtRest, encryptAtRest } from './key-encryption.js';

/** The only JWS algorithm Latchkey signs with (SPEC §4): EdDSA over Ed25519. */
export const SIGNING_ALGORITHM = 'EdDSA';

export interface GeneratedSigningKey {
  kid: string;
  publicJwk: JWK;
  /** The private JWK sealed with AES-256-GCM; the clear private key never leaves this function. */
  privateKeySealed: string;
}

/** Generates an Ed25519 key pair; `kid` is its RFC 7638 thumbprint. */
export async function generateSigningKey(keyEncryptionKey: Buffer): Promise<GeneratedSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    publicJwk: { ...publicJwk, kid, alg: SIGNING_ALGORITHM, use: 'sig' },
    privateKeySealed: encryptAtRest(keyEncryptionKey, JSON.stringify(privateJwk)),
  };
}

/** Unseals a stored private key into a node:crypto KeyObject (imported once per key and process). */
export async function importPrivateKeyObject(keyEncryptionKey: Buffer, sealed: string): Promise<KeyObject> {
  const jwk = JSON.parse(decryptAtRest(keyEncryptionKey, sealed)) as JWK;
  return createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
}

/** Ed25519 signature of the JWS signing input, base64url (RFC 8037 §3.1). */
export function signEd25519(privateKey: KeyObject, signingInput: string): string {
  return sign(null, Buffer.from(signingInput), privateKey).toString('base64url');
}

/** Imports a public JWK for verification. */
export async function importPublicKey(jwk: JWK): Promise<CryptoKey> {
  return (await importJWK(jwk, SIGNING_ALGORITHM)) as CryptoKey;
}
