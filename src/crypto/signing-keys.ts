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

/** Unseals and imports a stored private key for signing. */
export async function importPrivateKey(keyEncryptionKey: Buffer, sealed: string): Promise<CryptoKey> {
  const jwk = JSON.parse(decryptAtRest(keyEncryptionKey, sealed)) as JWK;
  return (await importJWK(jwk, SIGNING_ALGORITHM)) as CryptoKey;
}

/** Imports a public JWK for verification. */
export async function importPublicKey(jwk: JWK): Promise<CryptoKey> {
  return (await importJWK(jwk, SIGNING_ALGORITHM)) as CryptoKey;
}
