import type { KeyObject } from 'node:crypto';
import { jwtVerify, type CryptoKey, type JWK, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { SIGNING_ALGORITHM, generateSigningKey, importPrivateKeyObject, importPublicKey, signEd25519 } from '../crypto/signing-keys.js';
import type { Clock } from '../protocol/clock.js';
import { CLOCK_SKEW_SECONDS, LONGEST_FIXED_JWT_TTL_SECONDS } from '../protocol/lifetimes.js';
import type { SigningKeyRecord, Store } from '../storage/store.js';
import { INSTANCE_ID } from './instance.js';

interface LoadedKey {
  record: SigningKeyRecord;
  publicKey: CryptoKey;
  /** The unsealed private key as a node:crypto KeyObject, imported once. */
  privateKey?: KeyObject;
  /** base64url of the protected header per `typ`, built once. */
  headers?: Map<string, string>;
}

export interface RotationResult {
  kid: string;
  publishedAt: number;
  activatesAt: number;
  previousRetireAt: number;
}

export interface KeyringOptions {
  store: Store;
  clock: Clock;
  keyEncryptionKey: Buffer;
  /** How long loaded keys are trusted before the store is read again (LATCHKEY_KEY_CACHE_SECONDS). */
  cacheSeconds: number;
}

/**
 * The server's signing keys as seen by this instance: a cache of the store's published keys,
 * reloaded after `cacheSeconds`, used to sign (newest active key) and verify (any published key).
 * Imported keys are kept, so no request re-imports a key.
 */
export class Keyring {
  private keys: LoadedKey[] = [];
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;

  constructor(private readonly options: KeyringOptions) {}

  /**
   * Creates the first key when the store has none (first start). Instances starting together agree
   * through a lease: one creates it, the others wait for it — so there is one first key, which every
   * instance knows before anyone signs with it.
   */
  async ensureKey(): Promise<void> {
    await this.reload();
    if (this.keys.length > 0) return;
    const now = this.options.clock.now();
    if (await this.options.store.acquireLease('first-signing-key', INSTANCE_ID, now, now + 30_000)) {
      await this.reload();
      // No instance can have signed yet, so the first key may be used at once.
      if (this.keys.length === 0) await this.insertKey(now, now);
      await this.reload();
      return;
    }
    for (let waited = 0; this.keys.length === 0 && waited < 30_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await this.reload();
    }
    if (this.keys.length === 0) throw new Error('no signing key appeared while another instance was creating the first one');
  }

  /**
   * SPEC §4 rotation: the new key is published now and signs only after twice `cacheSeconds`: every
   * instance has reloaded it after one cache period, and a verifier that cached an instance's JWKS
   * (served with max-age = cacheSeconds) has refetched it after the second. Older keys stay published
   * until the longest-lived token they could have signed has expired.
   */
  async rotate(longestAccessTokenTtlSeconds: number): Promise<RotationResult> {
    const now = this.options.clock.now();
    const activatesAt = now + 2 * this.options.cacheSeconds * 1000;
    const lifetime = Math.max(longestAccessTokenTtlSeconds, LONGEST_FIXED_JWT_TTL_SECONDS) + CLOCK_SKEW_SECONDS;
    // An instance with a stale cache may sign with an old key for up to cacheSeconds after activation.
    const previousRetireAt = activatesAt + (this.options.cacheSeconds + lifetime) * 1000;
    const kid = await this.insertKey(now, activatesAt);
    await this.options.store.retireSigningKeys(kid, previousRetireAt);
    await this.reload();
    return { kid, publishedAt: now, activatesAt, previousRetireAt };
  }

  /**
   * Signs `payload` with the newest active key; `typ` names the kind of token (RFC 8725 §3.11).
   * The JWS compact form (RFC 7515 §7.1) is assembled here and signed with a cached node:crypto
   * KeyObject: jose's WebCrypto path costs more than twice as much per token (docs/benchmarks.md).
   * Every token is verified with jose — by this server and in the tests.
   */
  async sign(payload: JWTPayload, typ: string): Promise<string> {
    const key = await this.currentSigningKey();
    key.privateKey ??= await importPrivateKeyObject(this.options.keyEncryptionKey, key.record.privateKeySealed);
    key.headers ??= new Map();
    let header = key.headers.get(typ);
    if (!header) {
      header = Buffer.from(JSON.stringify({ alg: SIGNING_ALGORITHM, kid: key.record.kid, typ })).toString('base64url');
      key.headers.set(typ, header);
    }
    const signingInput = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${signingInput}.${signEd25519(key.privateKey, signingInput)}`;
  }

  /**
   * Verifies a JWT signed by any published key, at the clock's time. An unknown `kid` triggers one
   * reload (another instance may have just rotated). Throws jose's errors on any failure.
   */
  async verify(token: string, options: JWTVerifyOptions): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, (header) => this.keyFor(header.kid), {
      algorithms: [SIGNING_ALGORITHM],
      currentDate: new Date(this.options.clock.now()),
      ...options,
    });
    return payload;
  }

  /** The public JWK Set: every key that may still verify a live token (SPEC §4). */
  async publicJwks(): Promise<{ keys: JWK[] }> {
    await this.refreshIfStale();
    return { keys: this.keys.map((k) => k.record.publicJwk) };
  }

  private async keyFor(kid: string | undefined): Promise<CryptoKey> {
    await this.refreshIfStale();
    let key = this.keys.find((k) => k.record.kid === kid);
    if (!key && kid) {
      await this.reload();
      key = this.keys.find((k) => k.record.kid === kid);
    }
    if (!key) throw new Error('no published key has this kid');
    return key.publicKey;
  }

  private async currentSigningKey(): Promise<LoadedKey> {
    await this.refreshIfStale();
    const now = this.options.clock.now();
    // Newest first; a key whose activation is still ahead is published but not yet used.
    const key = this.keys.find((k) => k.record.activatesAt <= now) ?? this.keys[this.keys.length - 1];
    if (!key) throw new Error('no signing key: the keyring was not initialised');
    return key;
  }

  private async refreshIfStale(): Promise<void> {
    if (this.options.clock.now() - this.loadedAt >= this.options.cacheSeconds * 1000) await this.reload();
  }

  private reload(): Promise<void> {
    // Concurrent callers share one load.
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const now = this.options.clock.now();
    const records = await this.options.store.listPublishedSigningKeys(now);
    const previous = new Map(this.keys.map((k) => [k.record.kid, k]));
    this.keys = await Promise.all(
      records.map(async (record) => {
        const known = previous.get(record.kid);
        return known ? { ...known, record } : { record, publicKey: await importPublicKey(record.publicJwk) };
      }),
    );
    this.loadedAt = now;
  }

  private async insertKey(now: number, activatesAt: number): Promise<string> {
    const generated = await generateSigningKey(this.options.keyEncryptionKey);
    await this.options.store.insertSigningKey({
      ...generated,
      algorithm: SIGNING_ALGORITHM,
      createdAt: now,
      activatesAt,
      retiresAt: null,
    });
    return generated.kid;
  }
}
