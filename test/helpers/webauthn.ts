import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

// A software authenticator for tests (SPEC §12): what a platform authenticator and the browser do
// together in a WebAuthn ceremony, written from WebAuthn L3 §5–§6 with node:crypto only, so the
// server's verification (through @simplewebauthn/server) is checked against an independent
// implementation. ES256 (P-256) keys, `none` attestation, discoverable credentials.

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest();

/** A tiny CBOR encoder (RFC 8949 §3) for the values WebAuthn needs: integers, byte and text strings, maps. */
type Cbor = number | Uint8Array | string | Map<Cbor, Cbor>;

function cborHead(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) {
    const head = Buffer.alloc(3);
    head[0] = (major << 5) | 25;
    head.writeUInt16BE(length, 1);
    return head;
  }
  const head = Buffer.alloc(5);
  head[0] = (major << 5) | 26;
  head.writeUInt32BE(length, 1);
  return head;
}

export function encodeCbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([cborHead(3, bytes.length), bytes]);
  }
  if (value instanceof Map) return Buffer.concat([cborHead(5, value.size), ...[...value].flatMap(([k, v]) => [encodeCbor(k), encodeCbor(v)])]);
  return Buffer.concat([cborHead(2, value.length), Buffer.from(value)]);
}

/** WebAuthn L3 §6.1 authenticator data flags. */
export const FLAGS = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

/** One credential an authenticator holds. */
export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
  rpId: string;
  userHandle: Buffer;
  signCount: number;
  backupEligible: boolean;
  backedUp: boolean;
}

/** How a ceremony is answered; the defaults are an honest platform authenticator on the hosted pages' origin. */
export interface CeremonyOptions {
  origin?: string;
  /** UV flag: the person was verified (PIN, biometrics). Default true. */
  userVerified?: boolean;
  /** UP flag. Default true. */
  userPresent?: boolean;
  /** Overrides the RP ID the authenticator hashes into authenticator data. */
  rpId?: string;
  /** Overrides the ceremony `type` in clientDataJSON. */
  type?: string;
  /** How much the signature counter moves on this use (0: an authenticator without a counter). Default 1. */
  counterStep?: number;
  /** Sign with another key (a forged assertion). */
  forgeSignature?: boolean;
  /** Return this user handle (base64url) instead of the credential's. */
  userHandle?: string;
}

/**
 * A platform authenticator with a counter per credential. `counterStep: 0` at creation makes one
 * that keeps no counter (synced passkeys report 0 always).
 */
export class SoftAuthenticator {
  readonly credentials = new Map<string, SoftCredential>();

  constructor(readonly options: { origin: string; backupEligible?: boolean; counterStep?: number }) {}

  /** navigator.credentials.create() on `optionsJSON` (PublicKeyCredentialCreationOptionsJSON): a RegistrationResponseJSON. */
  register(optionsJSON: any, ceremony: CeremonyOptions = {}): any {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const id = randomBytes(32);
    const rpId = ceremony.rpId ?? optionsJSON.rp.id;
    const backupEligible = this.options.backupEligible ?? true;
    const credential: SoftCredential = {
      id, privateKey, publicKey, rpId, userHandle: Buffer.from(optionsJSON.user.id, 'base64url'), signCount: 0, backupEligible, backedUp: backupEligible,
    };
    const jwk = publicKey.export({ format: 'jwk' });
    // RFC 9053 §7.1.1 / WebAuthn L3 §6.5.1.1: an EC2 COSE key, ES256 on P-256.
    const coseKey = encodeCbor(new Map<Cbor, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]));
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const attestedCredentialData = Buffer.concat([Buffer.alloc(16) /* AAGUID: none */, idLength, id, coseKey]);
    const authData = this.authenticatorData(credential, ceremony, FLAGS.AT, attestedCredentialData, 0);
    const attestationObject = encodeCbor(new Map<Cbor, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    const clientDataJSON = this.clientData(ceremony.type ?? 'webauthn.create', optionsJSON.challenge, ceremony);
    this.credentials.set(b64url(id), credential);
    return {
      id: b64url(id), rawId: b64url(id), type: 'public-key', authenticatorAttachment: 'platform', clientExtensionResults: {},
      response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), transports: ['hybrid', 'internal'] },
    };
  }

  /**
   * navigator.credentials.get() on `optionsJSON` with a discoverable credential: the one named, or
   * the only one held. An AuthenticationResponseJSON with the user handle (WebAuthn L3 §7.2 step 6).
   */
  authenticate(optionsJSON: any, ceremony: CeremonyOptions & { credentialId?: string } = {}): any {
    const credential = ceremony.credentialId ? this.credentials.get(ceremony.credentialId) : [...this.credentials.values()][0];
    if (!credential) throw new Error('no credential on this authenticator');
    credential.signCount += ceremony.counterStep ?? this.options.counterStep ?? 1;
    const authData = this.authenticatorData(credential, { rpId: optionsJSON.rpId, ...ceremony }, 0, Buffer.alloc(0), credential.signCount);
    const clientDataJSON = this.clientData(ceremony.type ?? 'webauthn.get', optionsJSON.challenge, ceremony);
    const signingKey = ceremony.forgeSignature ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey : credential.privateKey;
    // WebAuthn L3 §6.3.3: the signature is over authenticatorData || SHA-256(clientDataJSON), ECDSA DER.
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), signingKey);
    return {
      id: b64url(credential.id), rawId: b64url(credential.id), type: 'public-key', authenticatorAttachment: 'platform', clientExtensionResults: {},
      response: { clientDataJSON: b64url(clientDataJSON), authenticatorData: b64url(authData), signature: b64url(signature), userHandle: ceremony.userHandle ?? b64url(credential.userHandle) },
    };
  }

  /** A second authenticator holding a copy of every credential, counters included (a clone). */
  clone(): SoftAuthenticator {
    const copy = new SoftAuthenticator(this.options);
    for (const [id, credential] of this.credentials) copy.credentials.set(id, { ...credential });
    return copy;
  }

  private clientData(type: string, challenge: string, ceremony: CeremonyOptions): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: ceremony.origin ?? this.options.origin, crossOrigin: false }), 'utf8');
  }

  /** WebAuthn L3 §6.1: rpIdHash (32) | flags (1) | signCount (4, big-endian) | attestedCredentialData. */
  private authenticatorData(credential: SoftCredential, ceremony: CeremonyOptions, extraFlags: number, attested: Buffer, signCount: number): Buffer {
    let flags = extraFlags;
    if (ceremony.userPresent ?? true) flags |= FLAGS.UP;
    if (ceremony.userVerified ?? true) flags |= FLAGS.UV;
    if (credential.backupEligible) flags |= FLAGS.BE;
    if (credential.backedUp) flags |= FLAGS.BS;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(signCount);
    return Buffer.concat([sha256(ceremony.rpId ?? credential.rpId), Buffer.from([flags]), counter, attested]);
  }
}
