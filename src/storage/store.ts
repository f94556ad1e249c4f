import type { JWK } from 'jose';

/** Lifetimes an organization may tune (SPEC §4); the exchange code's 60 s is not among them. */
export interface OrganizationSettings {
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  refreshReuseIntervalSeconds: number;
}

export interface Organization {
  id: string;
  name: string;
  settings: OrganizationSettings;
  createdAt: number;
}

export interface Application {
  id: string;
  organizationId: string;
  name: string;
  publishableKey: string;
  environment: 'test' | 'live';
  type: 'confidential' | 'public';
  redirectUris: string[];
  allowedScopes: string[];
  allowedOrigins: string[];
  logoUrl: string | null;
  createdAt: number;
}

export interface Consumer {
  id: string;
  organizationId: string;
  type: 'guest' | 'authenticated';
  email: string | null;
  phone: string | null;
  fullName: string | null;
  canonicalSubject: string | null;
  /** Claims the merchant sent beyond the known fields, first value wins. */
  claims: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export interface ExternalIdentity {
  provider: string;
  issuer: string;
  subject: string;
}

export interface ExchangeCode {
  codeHash: string;
  organizationId: string;
  applicationId: string;
  consumerId: string;
  codeChallenge: string | null;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

export interface Session {
  id: string;
  organizationId: string;
  applicationId: string;
  consumerId: string;
  type: 'guest' | 'authenticated';
  createdAt: number;
  revokedAt: number | null;
}

export interface RefreshTokenRecord {
  tokenHash: string;
  sessionId: string;
  createdAt: number;
  expiresAt: number;
  rotatedAt: number | null;
  revokedAt: number | null;
}

export interface SigningKeyRecord {
  kid: string;
  algorithm: 'EdDSA';
  publicJwk: JWK;
  privateKeySealed: string;
  createdAt: number;
  /** Signing with this key starts here; it is published in JWKS from `createdAt`. */
  activatesAt: number;
  /** No longer published (nor trusted) from here; null while current. */
  retiresAt: number | null;
}

export interface AuditEvent {
  id: string;
  organizationId: string | null;
  type: string;
  data: Record<string, unknown>;
  createdAt: number;
}

/** Thrown by a create when a unique key (identity triple, canonical subject, name) is already taken. */
export class UniqueConflict extends Error {
  constructor(cause: unknown) {
    super('unique constraint violated', { cause });
    this.name = 'UniqueConflict';
  }
}

/**
 * Everything Latchkey persists, in the domain's words (STYLE §9). One implementation runs on SQLite
 * and PostgreSQL; `test/store-contract.test.ts` holds both to these invariants. Instants are
 * milliseconds since the epoch, passed in by the caller (the injected clock).
 */
export interface Store {
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;

  createOrganization(organization: Organization): Promise<void>;
  findOrganizationByName(name: string): Promise<Organization | undefined>;
  getOrganization(id: string): Promise<Organization | undefined>;
  listOrganizations(): Promise<Organization[]>;

  /** Creates the application and its first secret (stored as a hash only) in one transaction. */
  createApplication(application: Application, secretHash: string, now: number): Promise<void>;
  listApplications(organizationId?: string): Promise<Application[]>;
  getApplication(id: string): Promise<Application | undefined>;
  findApplicationByPublishableKey(publishableKey: string): Promise<Application | undefined>;
  /** The application whose unexpired secret hashes to `secretHash`. */
  findApplicationBySecretHash(secretHash: string, now: number): Promise<Application | undefined>;
  /**
   * Adds `newSecretHash` and makes every older secret of the application expire at
   * `oldSecretsExpireAt` (now, for no overlap) — one transaction.
   */
  rotateApplicationSecret(applicationId: string, newSecretHash: string, oldSecretsExpireAt: number, now: number): Promise<void>;
  addRedirectUri(applicationId: string, redirectUri: string): Promise<Application | undefined>;
  /** True when some application lists `origin`, or it is a loopback origin and a `test` application exists (SPEC §2). */
  isOriginAllowedByAnyApplication(origin: string): Promise<boolean>;

  getConsumer(id: string): Promise<Consumer | undefined>;
  listExternalIdentities(consumerId: string): Promise<ExternalIdentity[]>;
  findConsumerByExternalIdentity(organizationId: string, identity: ExternalIdentity): Promise<Consumer | undefined>;
  findConsumerByCanonicalSubject(organizationId: string, canonicalSubject: string): Promise<Consumer | undefined>;
  /** Creates a consumer with its first external identity; throws UniqueConflict if either is taken. */
  createConsumerWithIdentity(consumer: Consumer, identityId: string, identity: ExternalIdentity): Promise<void>;
  /** Attaches an identity to an existing consumer; throws UniqueConflict if the triple is taken. */
  attachExternalIdentity(consumerId: string, organizationId: string, identityId: string, identity: ExternalIdentity, now: number): Promise<void>;
  /**
   * Sets each given field only where the consumer's value is still empty (claims: per key), never
   * overwriting (SPEC §5.1). A canonical subject taken by another consumer is left unset.
   * Returns the consumer as stored afterwards.
   */
  fillEmptyConsumerFields(
    consumerId: string,
    fields: { email?: string; fullName?: string; canonicalSubject?: string; claims?: Record<string, unknown> },
    now: number,
  ): Promise<Consumer>;

  createExchangeCode(code: ExchangeCode): Promise<void>;
  /**
   * Redeems an exchange code with one conditional UPDATE: it succeeds for exactly one caller, and
   * only while the code is unused, unexpired, minted by `applicationId` and — when it carries a
   * challenge — `codeChallenge` equals it. Returns the code, or undefined when nothing matched.
   */
  consumeExchangeCode(codeHash: string, applicationId: string, codeChallenge: string | null, now: number): Promise<ExchangeCode | undefined>;
  /** Reads a code without changing it, to explain a failed consume. */
  findExchangeCode(codeHash: string): Promise<ExchangeCode | undefined>;

  /** Creates the session and the first refresh token of its family in one transaction. */
  startSession(session: Session, firstRefreshToken: RefreshTokenRecord): Promise<void>;
  getSession(id: string): Promise<Session | undefined>;
  /** Revokes the session and every refresh token of its family; returns false if it was already revoked. */
  revokeSession(sessionId: string, now: number): Promise<boolean>;

  /**
   * Rotates a refresh token: one conditional UPDATE marks `tokenHash` rotated only while it is
   * unrotated, unrevoked, unexpired and its session live and of `applicationId`; the winner inserts
   * the successor (same session) in the same transaction. Exactly one concurrent caller gets the
   * old record back; the others get undefined.
   */
  rotateRefreshToken(
    tokenHash: string,
    applicationId: string,
    successor: { tokenHash: string; expiresAt: number },
    now: number,
  ): Promise<RefreshTokenRecord | undefined>;
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined>;

  insertSigningKey(key: SigningKeyRecord): Promise<void>;
  /** Keys not retired at `now`, newest first. */
  listPublishedSigningKeys(now: number): Promise<SigningKeyRecord[]>;
  /** Sets `retiresAt` on every unretired key except `exceptKid`. */
  retireSigningKeys(exceptKid: string, retiresAt: number): Promise<void>;

  recordAuditEvent(event: AuditEvent): Promise<void>;
  listAuditEvents(organizationId: string | null, type?: string): Promise<AuditEvent[]>;
}
