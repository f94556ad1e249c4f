import type { KeyObject } from 'node:crypto';
import { jwtVerify, type CryptoKey, type JWK, type JWTPayload, type JWTVerifyOptions } from 'jose';
import {
  SIGNING_ALGORITHM, SIGNING_ALGORITHMS, generateSigningKey, importPrivateKeyObject, importPublicKey, signJws, type SigningAlgorithm,
} from '../crypto/signing-keys.js';
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
  /** The new EdDSA key (Latchkey's tokens). */
  kid: string;
  /** The new RS256 key (ID tokens). */
  idTokenKid: string;
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
   * Creates the first key of each algorithm when the store has none (first start; or the first start
   * of a version that signs ID tokens with RS256). Instances starting together agree through a lease:
   * one creates it, the others wait for it — so there is one first key, which every instance knows
   * before it serves a request.
   */
  async ensureKey(): Promise<void> {
    await this.reload();
    for (const algorithm of SIGNING_ALGORITHMS) await this.ensureKeyOf(algorithm);
  }

  private async ensureKeyOf(algorithm: SigningAlgorithm): Promise<void> {
    const has = () => this.keys.some((k) => k.record.algorithm === algorithm);
    if (has()) return;
    const now = this.options.clock.now();
    // The EdDSA lease keeps the name it always had; each algorithm has its own lease.
    const lease = algorithm === SIGNING_ALGORITHM ? 'first-signing-key' : `first-signing-key:${algorithm}`;
    if (await this.options.store.acquireLease(lease, INSTANCE_ID, now, now + 30_000)) {
      await this.reload();
      // Nothing has been signed with this algorithm yet, so its first key may be used at once.
      if (!has()) await this.insertKey(algorithm, now, now);
      await this.reload();
      return;
    }
    for (let waited = 0; !has() && waited < 30_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await this.reload();
    }
    if (!has()) throw new Error(`no ${algorithm} signing key appeared while another instance was creating the first one`);
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
    // Every algorithm rotates together: one command, one schedule.
    const kids = {} as Record<SigningAlgorithm, string>;
    for (const algorithm of SIGNING_ALGORITHMS) {
      kids[algorithm] = await this.insertKey(algorithm, now, activatesAt);
      await this.options.store.retireSigningKeys(algorithm, kids[algorithm], previousRetireAt);
    }
    await this.reload();
    return { kid: kids.EdDSA, idTokenKid: kids.RS256, publishedAt: now, activatesAt, previousRetireAt };
  }

  /**
   * Signs `payload` with the newest active key; `typ` names the kind of token (RFC 8725 §3.11).
   * The JWS compact form (RFC 7515 §7.1) is assembled here and signed with a cached node:crypto
   * KeyObject: jose's WebCrypto path costs more than twice as much per token (docs/benchmarks.md).
   * Every token is verified with jose — by this server and in the tests.
   */
  async sign(payload: JWTPayload, typ: string, algorithm: SigningAlgorithm = SIGNING_ALGORITHM): Promise<string> {
    const key = await this.currentSigningKey(algorithm);
    key.privateKey ??= await importPrivateKeyObject(this.options.keyEncryptionKey, key.record.privateKeySealed);
    key.headers ??= new Map();
    let header = key.headers.get(typ);
    if (!header) {
      header = Buffer.from(JSON.stringify({ alg: algorithm, kid: key.record.kid, typ })).toString('base64url');
      key.headers.set(typ, header);
    }
    const signingInput = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${signingInput}.${signJws(algorithm, key.privateKey, signingInput)}`;
  }

  /**
   * Verifies a JWT signed by any published key of an allowed algorithm (EdDSA unless
   * `options.algorithms` says otherwise), at the clock's time. Callers that accept RS256 (ID token
   * hints, RS256 access tokens) say so; jose refuses any other `alg` before a key is looked up. An
   * unknown `kid` triggers one reload (another instance may have just rotated). Throws jose's errors
   * on any failure.
   */
  async verify(token: string, options: JWTVerifyOptions): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, (header) => this.keyFor(header.kid, header.alg), {
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

  private async keyFor(kid: string | undefined, algorithm: string | undefined): Promise<CryptoKey> {
    await this.refreshIfStale();
    // The key must be of the algorithm the header names (already checked against the allowed list).
    const find = () => this.keys.find((k) => k.record.kid === kid && k.record.algorithm === algorithm);
    let key = find();
    if (!key && kid) {
      await this.reload();
      key = find();
    }
    if (!key) throw new Error('no published key has this kid');
    return key.publicKey;
  }

  private async currentSigningKey(algorithm: SigningAlgorithm): Promise<LoadedKey> {
    await this.refreshIfStale();
    // No key of this algorithm left (all retired, say by an older version's rotation): make one
    // rather than fail every token of that kind until a restart.
    if (!this.keys.some((k) => k.record.algorithm === algorithm)) await this.ensureKeyOf(algorithm);
    const now = this.options.clock.now();
    const keys = this.keys.filter((k) => k.record.algorithm === algorithm);
    // Newest first; a key whose activation is still ahead is published but not yet used.
    const key = keys.find((k) => k.record.activatesAt <= now) ?? keys[keys.length - 1];
    if (!key) throw new Error(`no ${algorithm} signing key: the keyring was not initialised`);
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
        return known ? { ...known, record } : { record, publicKey: await importPublicKey(record.publicJwk, record.algorithm) };
      }),
    );
    this.loadedAt = now;
  }

  private async insertKey(algorithm: SigningAlgorithm, now: number, activatesAt: number): Promise<string> {
    const generated = await generateSigningKey(this.options.keyEncryptionKey, algorithm);
    await this.options.store.insertSigningKey({
      ...generated,
      algorithm,
      createdAt: now,
      activatesAt,
      retiresAt: null,
    });
    return generated.kid;
  }
}
