import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { decryptAtRest, encryptAtRest } from './key-encryption.js';

/** What Latchkey signs its own tokens with (SPEC §4): EdDSA over Ed25519. */
export const SIGNING_ALGORITHM = 'EdDSA';
/**
 * What ID tokens are signed with: RS256, the algorithm OpenID Connect makes mandatory (Core §15.1;
 * Discovery: `id_token_signing_alg_values_supported` MUST include it) and the default every relying
 * party expects unless told otherwise.
 */
export const ID_TOKEN_SIGNING_ALGORITHM = 'RS256';

export type SigningAlgorithm = typeof SIGNING_ALGORITHM | typeof ID_TOKEN_SIGNING_ALGORITHM;
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = [SIGNING_ALGORITHM, ID_TOKEN_SIGNING_ALGORITHM];

export interface GeneratedSigningKey {
  kid: string;
  publicJwk: JWK;
  /** The private JWK sealed with AES-256-GCM; the clear private key never leaves this function. */
  privateKeySealed: string;
}

/** Generates an Ed25519 (EdDSA) or RSA 2048 (RS256) key pair; `kid` is its RFC 7638 thumbprint. */
export async function generateSigningKey(keyEncryptionKey: Buffer, algorithm: SigningAlgorithm = SIGNING_ALGORITHM): Promise<GeneratedSigningKey> {
  const { publicKey, privateKey } =
    algorithm === SIGNING_ALGORITHM
      ? await generateKeyPair(algorithm, { crv: 'Ed25519', extractable: true })
      : await generateKeyPair(algorithm, { modulusLength: 2048, extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    publicJwk: { ...publicJwk, kid, alg: algorithm, use: 'sig' },
    privateKeySealed: encryptAtRest(keyEncryptionKey, JSON.stringify(privateJwk)),
  };
}

/** Unseals a stored private key into a node:crypto KeyObject (imported once per key and process). */
export async function importPrivateKeyObject(keyEncryptionKey: Buffer, sealed: string): Promise<KeyObject> {
  const jwk = JSON.parse(decryptAtRest(keyEncryptionKey, sealed)) as JWK;
  return createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
}

/**
 * The JWS signature of `signingInput`, base64url: Ed25519 (RFC 8037 §3.1) or RSASSA-PKCS1-v1_5 with
 * SHA-256 (RFC 7518 §3.3, node:crypto's default padding for RSA keys).
 */
export function signJws(algorithm: SigningAlgorithm, privateKey: KeyObject, signingInput: string): string {
  return sign(algorithm === SIGNING_ALGORITHM ? null : 'sha256', Buffer.from(signingInput), privateKey).toString('base64url');
}

/** Imports a public JWK for verification, with the algorithm it was published for. */
export async function importPublicKey(jwk: JWK, algorithm: SigningAlgorithm): Promise<CryptoKey> {
  return (await importJWK(jwk, algorithm)) as CryptoKey;
}
