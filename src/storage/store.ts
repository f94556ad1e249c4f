import type { JWK } from 'jose';

/** Lifetimes an organization may tune (SPEC §4); the exchange code's 60 s is not among them. */
export interface OrganizationSettings {
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  refreshReuseIntervalSeconds: number;
  loginTokenTtlSeconds: number;
  oauthAccessTokenTtlSeconds: number;
  oauthRefreshTokenTtlSeconds: number;
}

/** What the hosted pages show of an organization when an application sets nothing (SPEC §7). */
export interface OrganizationBranding {
  displayName: string | null;
  logoUrl: string | null;
  accentColor: string | null;
}

export interface Organization {
  id: string;
  name: string;
  settings: OrganizationSettings;
  branding: OrganizationBranding;
  createdAt: number;
}

/** SPEC §1: `test` and `live` are separate worlds inside an organization. */
export type Environment = 'test' | 'live';

/**
 * Where people live: one organization's one environment (SPEC §1). Every lookup of a consumer by
 * identity, canonical subject, email or phone, and every OTP code, is scoped to a pool. An
 * Application and a Consumer are pools themselves (they carry both fields), so flows pass the
 * application whose key was presented.
 */
export interface UserPool {
  organizationId: string;
  environment: Environment;
}

export interface Application {
  id: string;
  organizationId: string;
  name: string;
  publishableKey: string;
  environment: Environment;
  type: 'confidential' | 'public';
  redirectUris: string[];
  allowedScopes: string[];
  allowedOrigins: string[];
  logoUrl: string | null;
  /** `#rrggbb` accent of the hosted pages, or null for the organization's. */
  accentColor: string | null;
  /** First-party applications skip the consent page (SPEC §7, by configuration). */
  isFirstParty: boolean;
  /** SPEC §6.1: `optional` lets a confidential client send no PKCE challenge (never a public one). */
  pkcePolicy: 'required' | 'optional';
  /** RP-Initiated Logout 1.0 §3: where end-session may send the browser afterwards (exact match). */
  postLogoutRedirectUris: string[];
  /** SPEC §9: the algorithm of this application's access tokens (RFC 9068 §2.1 wants RS256 available). */
  accessTokenAlg: 'EdDSA' | 'RS256';
  /**
   * SPEC §12: origins besides the issuer's own whose pages may run a passkey ceremony for this
   * application through the APIs (WebAuthn L3 §7.1 step 9, §7.2 step 13; exact match).
   */
  passkeyOrigins: string[];
  /** RFC 9126 §6 (SPEC §13): authorization requests only through the pushed authorization request endpoint. */
  requirePushedAuthorizationRequests: boolean;
  /** RFC 8707 (SPEC §13): the resource indicators (absolute URIs) its tokens may be asked for; exact match. */
  resources: string[];
  /** RFC 9449 §5 (SPEC §13): every token request of this application must carry a DPoP proof. */
  requireDpop: boolean;
  createdAt: number;
  /** SPEC §10: set when an operator disabled it; null while enabled. */
  disabledAt: number | null;
  /**
   * SPEC §13: how it came to exist — by hand (CLI, admin API), as a Client ID Metadata Document URL
   * (its publishable key is that URL), or by Dynamic Client Registration (RFC 7591). The last two are
   * shown as unverified on the consent page.
   */
  registration: 'manual' | 'metadata_document' | 'dynamic';
}

/** SPEC §13: `off`, or the environment in which such clients of the organization live. */
export type ClientRegistrationMode = 'off' | Environment;

/** An organization's switches for clients nobody registered by hand (SPEC §13; off by default). */
export interface ClientRegistrationSettings {
  /** Client ID Metadata Documents: an https URL as client_id. */
  metadataDocuments: ClientRegistrationMode;
  /** Dynamic Client Registration (RFC 7591). */
  dynamicRegistration: ClientRegistrationMode;
  /** SHA-256 of the initial access token registration needs (RFC 7591 §3), or null: open registration. */
  registrationTokenHash: string | null;
}

export interface Consumer {
  id: string;
  organizationId: string;
  /** Fixed at creation: the environment of the application (or CLI command) that made it. */
  environment: Environment;
  type: 'guest' | 'authenticated';
  email: string | null;
  phone: string | null;
  fullName: string | null;
  canonicalSubject: string | null;
  /** Claims the merchant sent beyond the known fields, first value wins. */
  claims: Record<string, unknown>;
  /** Set when this guest was absorbed into another consumer (SPEC §5.4); that one speaks for it now. */
  mergedIntoId: string | null;
  /** `sms`: password sign-in (SPEC §6.2) also needs a code sent to `phone`. */
  secondFactor: 'sms' | null;
  /** When the person's TOTP enrollment was confirmed (SPEC §12); null: no TOTP second factor. */
  totpEnabledAt: number | null;
  /** When a one-time code sent to `email` was last entered (OpenID Connect `email_verified`). */
  emailVerifiedAt: number | null;
  /** When a one-time code sent to `phone` was last entered (`phone_number_verified`). */
  phoneVerifiedAt: number | null;
  createdAt: number;
  updatedAt: number;
  /** SPEC §10: set when an operator disabled the person; null while enabled. */
  disabledAt: number | null;
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
  /** How the consumer was resolved when the code was minted; `created` lets an exchange upgrade a guest. */
  resolution: 'created' | 'existing' | 'linked' | null;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

/** A pending one-time passcode: one per destination, replaced by each new request (SPEC §5.4). */
export interface OtpCode {
  organizationId: string;
  /** The environment of the requesting application: a code is pending in one environment only. */
  environment: Environment;
  /** Lower-cased email address or E.164 phone number. */
  destination: string;
  channel: 'email' | 'sms';
  applicationId: string;
  codeHash: string;
  name: string | null;
  createdAt: number;
  expiresAt: number;
  attempts: number;
  consumedAt: number | null;
}

/**
 * A consumer's TOTP enrollment (SPEC §12, RFC 6238): at most one per consumer. The shared secret is
 * kept only sealed (AES-256-GCM under a key derived from LATCHKEY_SECRET).
 */
export interface TotpFactor {
  consumerId: string;
  organizationId: string;
  secretSealed: string;
  createdAt: number;
  /** Null while the enrollment waits for its first code. */
  confirmedAt: number | null;
  /** RFC 6238 time step (T) of the last code accepted; a code of it or an earlier step is refused (§5.2). */
  lastUsedStep: number | null;
}

/** What proves the TOTP second factor, spent once by Store.redeemSecondFactor. */
export type SecondFactorProof =
  /** A right code of RFC 6238 time step `step`. */
  | { kind: 'totp'; step: number }
  /** A recovery code, as its keyed hash. */
  | { kind: 'recovery_code'; codeHash: string };

/** A message kept by the development sender instead of being delivered. */
export interface DevMessage {
  id: string;
  organizationId: string;
  channel: 'email' | 'sms';
  recipient: string;
  subject: string;
  body: string;
  createdAt: number;
}

/**
 * A revocable sign-in. `consumer`: a consumer-API session (SPEC §5) with its refresh-token family;
 * `login`: a user login token of SPEC §6.2 (no refresh tokens); `oauth`: the token family issued
 * from one authorization code (SPEC §6.4), under a grant.
 */
export interface Session {
  id: string;
  organizationId: string;
  applicationId: string;
  consumerId: string;
  type: 'guest' | 'authenticated';
  kind: 'consumer' | 'login' | 'oauth';
  grantId: string | null;
  /** Space-separated scopes of an OAuth family. */
  scope: string | null;
  /** The authorization code an OAuth family was issued from (RFC 6749 §4.1.2 replay revocation). */
  codeHash: string | null;
  /**
   * OpenID Connect context of an OAuth family (absent or null on other kinds): the browser's login
   * session that authenticated the person (the ID token's `sid`), when it did (`auth_time`, ms), and
   * the `claims` request as validated JSON.
   */
  browserSessionId?: string | null;
  authTime?: number | null;
  claims?: string | null;
  /**
   * RFC 9449 §5: the JWK thumbprint (RFC 7638) of the DPoP key this family is bound to — its refresh
   * needs a proof by that key and its access tokens carry `cnf.jkt`. Absent or null: not bound.
   */
  dpopJkt?: string | null;
  /** RFC 8707: the resources an OAuth token family was granted (absent or empty: none). */
  resources?: string[];
  createdAt: number;
  revokedAt: number | null;
}

/** Step 1 of SPEC §6.1: the validated authorization request, single use at step 3. */
export interface AuthorizationRequest {
  id: string;
  organizationId: string;
  applicationId: string;
  redirectUri: string;
  /** Null when the client sent none (SPEC §6.1: optional, echoed exactly when sent). */
  state: string | null;
  /** Null when the client sent none (allowed only by an application's `optional` PKCE policy). */
  codeChallenge: string | null;
  scope: string;
  nonce: string | null;
  /** OpenID Connect Core §3.1.2.1 `prompt`, space-separated as sent. */
  prompt: string | null;
  /** `max_age` in seconds. */
  maxAge: number | null;
  loginHint: string | null;
  /** The `sub` of a verified `id_token_hint`. */
  idTokenHintSubject: string | null;
  /** The validated `claims` parameter (Core §5.5), as JSON. */
  claims: string | null;
  /** RFC 8707 §2: the resources asked for (absent or empty: none; the token is then for this server). */
  resources?: string[];
  /** RFC 9449 §10: `dpop_jkt`, or the key of a DPoP proof at PAR (absent or null: none). */
  dpopJkt?: string | null;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

/**
 * RFC 9126 (SPEC §13): an authorization request a client pushed, stored by the SHA-256 of its
 * `request_uri`; single use, 60 s, only for the client that pushed it.
 */
export interface PushedAuthorizationRequest {
  requestUriHash: string;
  organizationId: string;
  applicationId: string;
  /** The authorization request's parameters as pushed (validated then), without client credentials. */
  parameters: Record<string, string>;
  /** RFC 8707 `resource` values (the one parameter that may repeat). */
  resources: string[];
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

/** A consumer's delegation to an application (SPEC §1), one per pair. */
export interface Grant {
  id: string;
  organizationId: string;
  applicationId: string;
  consumerId: string;
  scope: string;
  createdAt: number;
  updatedAt: number;
  revokedAt: number | null;
}

/** SPEC §4: `ac_` code, 60 s, bound to client, redirect URI, PKCE challenge, user and scope. */
export interface AuthorizationCode {
  codeHash: string;
  organizationId: string;
  applicationId: string;
  consumerId: string;
  grantId: string;
  redirectUri: string;
  /** Null when the request carried no PKCE challenge (then no `code_verifier` may be sent). */
  codeChallenge: string | null;
  scope: string;
  nonce: string | null;
  authTime: number;
  /** The browser's login session that authenticated the person (the ID token's `sid`). */
  browserSessionId: string | null;
  /** The request's `claims` parameter, as JSON. */
  claims: string | null;
  /** RFC 8707 §2: the resources the authorization request asked for (absent or empty: none). */
  resources?: string[];
  /** RFC 9449 §10: the DPoP key (JWK thumbprint) the code must be redeemed with (absent or null: none). */
  dpopJkt?: string | null;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
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
  /** EdDSA (Latchkey's own tokens) or RS256 (ID tokens). */
  algorithm: 'EdDSA' | 'RS256';
  publicJwk: JWK;
  privateKeySealed: string;
  createdAt: number;
  /** Signing with this key starts here; it is published in JWKS from `createdAt`. */
  activatesAt: number;
  /** No longer published (nor trusted) from here; null while current. */
  retiresAt: number | null;
}

/**
 * A consumer's registered passkey (SPEC §12): a WebAuthn public-key credential (WebAuthn L3 §4
 * "Credential Record"). `credentialId` and `publicKey` are base64url; `signCount` the last signature
 * counter seen (0 for authenticators that keep none).
 */
export interface Passkey {
  id: string;
  organizationId: string;
  consumerId: string;
  credentialId: string;
  publicKey: string;
  signCount: number;
  /** AuthenticatorTransport hints the browser reported at registration (`internal`, `hybrid`, `usb`, …). */
  transports: string[];
  /** BE flag (WebAuthn L3 §6.1): the credential may be synced to other devices; fixed at registration. */
  backupEligible: boolean;
  /** BS flag: the credential is backed up now; updated on every use. */
  backedUp: boolean;
  deviceType: 'singleDevice' | 'multiDevice';
  /** The authenticator model's AAGUID ('00000000-…' with `none` attestation from most platforms). */
  aaguid: string;
  /** What the person calls it (`MacBook`, `YubiKey`), renamable. */
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/**
 * The challenge of one WebAuthn ceremony (SPEC §12): single use, short-lived, stored as its SHA-256,
 * bound to the application that asked for it and its purpose — `registration` of a passkey for
 * `consumerId`, or `authentication` by any discoverable credential (no consumer).
 */
export interface WebAuthnChallenge {
  challengeHash: string;
  organizationId: string;
  applicationId: string;
  purpose: 'registration' | 'authentication';
  consumerId: string | null;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

/** What a verified assertion changes on its passkey (WebAuthn L3 §7.2 steps 21–23). */
export interface PasskeyUse {
  passkeyId: string;
  /** The assertion's signature counter; stored only if it moved forward (or both are 0). */
  signCount: number;
  backedUp: boolean;
}

/** The outcome of Store.redeemPasskeyAssertion. */
export type PasskeyRedemption =
  | { outcome: 'signed_in'; owner: Consumer; signedIn: Consumer | undefined }
  | { outcome: 'challenge_unavailable' }
  | { outcome: 'stale_counter' };

export interface AuditEvent {
  id: string;
  organizationId: string | null;
  type: string;
  data: Record<string, unknown>;
  createdAt: number;
}

/**
 * An admin API token `lka_…` (SPEC §10). The secret itself is never stored; the store keeps its
 * SHA-256 beside this record.
 */
export interface AdminToken {
  id: string;
  name: string;
  /** The one organization it may see and change; null: every organization. */
  organizationId: string | null;
  /** Refused on every change (403). */
  readOnly: boolean;
  createdAt: number;
  revokedAt: number | null;
  /** Updated at most once a minute, so a busy token does not write on every request. */
  lastUsedAt: number | null;
}

/** The settings of an application the admin API and `latchkey apps update` may change (SPEC §10); absent: unchanged. */
export interface ApplicationChanges {
  name?: string;
  logoUrl?: string | null;
  accentColor?: string | null;
  isFirstParty?: boolean;
  redirectUris?: string[];
  allowedScopes?: string[];
  allowedOrigins?: string[];
  postLogoutRedirectUris?: string[];
  pkcePolicy?: Application['pkcePolicy'];
  passkeyOrigins?: string[];
  requirePushedAuthorizationRequests?: boolean;
  resources?: string[];
  requireDpop?: boolean;
}

/**
 * One page of a list in id order (ids are time-ordered and unique, so the order is stable while rows
 * are inserted): rows whose id is greater than `after`, at most `limit`.
 */
export interface PageRequest {
  after: string | null;
  limit: number;
}

/** Filters of the admin API's audit event list; each one given must match. */
export interface AuditEventFilter {
  /** Only this organization's events (events of no organization — key rotations — are then left out). */
  organizationId?: string;
  type?: string;
  /** The admin token that made the change (`data.actor.id`). */
  actorId?: string;
  /** The consumer the event is about (`data.consumerId`). */
  consumerId?: string;
  /** createdAt >= from (ms). */
  from?: number;
  /** createdAt < to (ms). */
  to?: number;
}

/**
 * The filters of the admin API's consumer list (SPEC §10); every given one must match. `email` is
 * lower-cased, `phone` E.164; `identity` is one external identity triple.
 */
export interface ConsumerFilter {
  organizationId?: string;
  environment?: Environment;
  email?: string;
  phone?: string;
  identity?: ExternalIdentity;
}

/** An operator's change of a consumer's contact fields (SPEC §10); absent: unchanged, null: cleared. */
export interface ConsumerContactChange {
  email?: string | null;
  phone?: string | null;
  fullName?: string | null;
  /** The id of the `latchkey` email identity to create for a new email when the consumer has none. */
  emailIdentityId?: string;
}

/** What an erasure removed (SPEC §10), for its audit event: counts only, never a value. */
export interface ErasureCounts {
  consumers: number;
  identities: number;
  sessions: number;
  refreshTokens: number;
  grants: number;
  authorizationCodes: number;
  authorizationRequests: number;
  exchangeCodes: number;
  otpCodes: number;
  devMessages: number;
  passkeys: number;
  auditEventsAnonymised: number;
}

/** The kinds of rows housekeeping deletes. */
export type PurgeableArtefact =
  | 'exchange_codes' | 'otp_codes' | 'authorization_requests' | 'authorization_codes' | 'refresh_tokens' | 'sessions' | 'dev_outbox'
  | 'revoked_access_tokens' | 'webauthn_challenges' | 'pushed_authorization_requests' | 'dpop_proofs';

/** Instants (ms) before which rows are no longer needed; computed by the housekeeping flow. */
export interface PurgeCutoffs {
  /** Short-lived codes and requests that expired before this. */
  expiredBefore: number;
  /** Authorization codes expired before this (kept longer: a replay revokes the tokens issued from them). */
  codesExpiredBefore: number;
  /** Sessions revoked, or without any live refresh token and older than, this. */
  sessionsBefore: number;
  /** Development outbox messages older than this. */
  outboxBefore: number;
}

/** Thrown by a create when a unique key (identity triple or canonical subject in its pool, name) is already taken. */
export class UniqueConflict extends Error {
  constructor(cause: unknown) {
    super('unique constraint violated', { cause });
    this.name = 'UniqueConflict';
  }
}

/**
 * SPEC §5.4 guest linking, as written inside a sign-in's transaction; each is claimed by one
 * conditional UPDATE of the guest (still a guest, not merged), and the guest's sessions end.
 * `upgrade`: the new identity is attached to the guest in place. `merge`: a consumer created for
 * this sign-in moves into the guest (its identities and empty fields), leaving a tombstone. `absorb`:
 * the guest is marked absorbed by the identity's consumer. `end`: the identity already was the
 * guest's own; only its sessions end.
 */
export type GuestLink =
  | { guestId: string; action: 'upgrade'; identityId: string; identity: ExternalIdentity }
  | { guestId: string; action: 'merge'; sourceId: string }
  | { guestId: string; action: 'absorb'; intoId: string }
  | { guestId: string; action: 'end' };

/**
 * What a sign-in writes besides consuming its one-time credential, in the transaction that consumes
 * it (issue 12.1): a crash or a failure leaves either the credential unused or all of this written.
 * Parts are written in this order; each is optional.
 */
export interface SignInWrites {
  /** A single-use token id spent with it (a second-factor challenge): SignInConflict `token_spent` when it already was. */
  spentTokenId?: { jti: string; applicationId: string; expiresAt: number };
  /** A consumer this sign-in creates, with its first identity: UniqueConflict when the identity is taken. */
  newConsumer?: { consumer: Consumer; identityId: string; identity: ExternalIdentity };
  /** SignInConflict `guest_taken` when another sign-in linked the guest first, or it is of another pool (SPEC §1). */
  guest?: GuestLink;
  /** Fills the consumer's email or phone where still empty, never overwriting (SPEC §5.1). */
  fill?: { consumerId: string; email?: string; phone?: string };
  session?: { session: Session; firstRefreshToken: RefreshTokenRecord | null };
  /** The sign-in's audit events: stored only if it happened, and whenever it happened. */
  auditEvents?: readonly AuditEvent[];
}

/**
 * Thrown (after rolling everything back) when a conditional part of SignInWrites lost its race.
 * `consumer_disabled`: the session's consumer is disabled (SPEC §10) — checked under a lock on the
 * consumer's row, so no sign-in racing a disable leaves a live session behind.
 */
export class SignInConflict extends Error {
  constructor(readonly reason: 'guest_taken' | 'token_spent' | 'consumer_disabled') {
    super(`sign-in conflict: ${reason}`);
    this.name = 'SignInConflict';
  }
}

/** A one-time credential redeemed together with what it creates (issue 12.1); names the test-only fault point. */
export type RedemptionKind = 'exchange_code' | 'otp_code' | 'authorization_request' | 'authorization_code' | 'webauthn_challenge';

/** The outcome of one verification attempt at an OTP code whose success signs in (Store.redeemOtpCode). */
export type OtpRedemption =
  | { outcome: 'verified'; code: OtpCode; signedIn: Consumer | undefined }
  | { outcome: 'wrong'; attemptsLeft: number }
  | { outcome: 'unavailable' };

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
   * Client authentication in one lookup: the application of `publishableKey`, and whether
   * `secretHash` is one of its unexpired secrets.
   */
  findApplicationWithSecret(publishableKey: string, secretHash: string, now: number): Promise<{ application: Application; secretMatches: boolean } | undefined>;
  /**
   * Adds `newSecretHash` and makes every older secret of the application expire at
   * `oldSecretsExpireAt` (now, for no overlap) — one transaction.
   */
  rotateApplicationSecret(applicationId: string, newSecretHash: string, oldSecretsExpireAt: number, now: number): Promise<void>;
  addRedirectUri(applicationId: string, redirectUri: string): Promise<Application | undefined>;
  /** Registers one more post-logout redirect URI (RP-Initiated Logout 1.0 §3), once; no concurrent addition is lost. */
  addPostLogoutRedirectUri(applicationId: string, uri: string): Promise<Application | undefined>;
  /** Sets the hosted-page branding of an application (name, logo, accent) and its first-party flag. */
  updateApplicationBranding(applicationId: string, branding: { name?: string; logoUrl?: string | null; accentColor?: string | null; isFirstParty?: boolean }): Promise<Application | undefined>;
  setOrganizationBranding(organizationId: string, branding: OrganizationBranding): Promise<void>;
  /** SPEC §13: the organization's client-registration switches (all off for an unknown id). */
  getClientRegistrationSettings(organizationId: string): Promise<ClientRegistrationSettings>;
  setClientRegistrationSettings(organizationId: string, settings: ClientRegistrationSettings): Promise<void>;
  /**
   * Creates a public client that nobody registered by hand (RFC 7591, SPEC §13): an application
   * without any secret, so no client authentication but `none` can ever succeed for it.
   */
  createPublicClient(application: Application): Promise<void>;
  /**
   * The application of a Client ID Metadata Document (its publishable key is the document's URL),
   * created on first use and refreshed from the document afterwards (name, logo, redirect URIs, scopes) in
   * one statement, so concurrent first uses make one row. Only a row of the same organization is
   * refreshed; the row as stored is returned either way (the caller checks its organization).
   */
  saveMetadataDocumentClient(application: Application): Promise<Application>;
  /** SPEC §10 admin list: applications in id order (stable while rows are inserted), optionally of one organization and/or environment. */
  listApplicationsPage(filter: { organizationId?: string; environment?: 'test' | 'live' }, page: PageRequest): Promise<Application[]>;
  /** Sets the given settings of an application in one UPDATE (lists are replaced whole); undefined for an unknown id. */
  updateApplication(applicationId: string, changes: ApplicationChanges): Promise<Application | undefined>;
  /** Sets (disable) or clears (enable) `disabledAt` (SPEC §10); undefined for an unknown id. */
  setApplicationDisabledAt(applicationId: string, disabledAt: number | null): Promise<Application | undefined>;
  /** The consumer's live grant to the application, if any (remembered consent, SPEC §7). */
  findLiveGrant(applicationId: string, consumerId: string): Promise<Grant | undefined>;
  /** True when some application lists `origin`, or it is a loopback origin and a `test` application exists (SPEC §2). */
  isOriginAllowedByAnyApplication(origin: string): Promise<boolean>;

  getConsumer(id: string): Promise<Consumer | undefined>;
  /** Creates a consumer without identities (a guest). */
  createConsumer(consumer: Consumer): Promise<void>;
  // The three guest links below, on their own; a sign-in writes the same statements as
  // SignInWrites.guest, inside the transaction that consumes its credential (issue 12.1).
  /**
   * SPEC §5.4 guest upgrade for an exchange: moves every identity of `sourceId` (a consumer created
   * for this sign-in) to `guestId`, fills the guest's empty fields from it, makes the guest
   * authenticated and leaves `sourceId` as a tombstone merged into the guest — one transaction.
   * Returns false (changing nothing) when the guest was already upgraded or absorbed, or when the two
   * are not of one pool (SPEC §1: nothing moves between environments).
   */
  mergeConsumerIntoGuest(sourceId: string, guestId: string, now: number): Promise<boolean>;
  /**
   * SPEC §5.4 upgrade in place: attaches the identity to the guest and makes it authenticated, in one
   * transaction that first claims the guest with a conditional UPDATE (still a guest, not merged).
   * Returns false when another request claimed it first; throws UniqueConflict if the identity is taken.
   */
  upgradeGuest(guestId: string, identityId: string, identity: ExternalIdentity, now: number): Promise<boolean>;
  /**
   * Marks a guest as absorbed by `intoId` (SPEC §5.4) with one conditional UPDATE; false when it was
   * already upgraded or absorbed, or `intoId` is not of its pool. The guest keeps its id for the
   * merchant's records.
   */
  markGuestAbsorbed(guestId: string, intoId: string, now: number): Promise<boolean>;
  listExternalIdentities(consumerId: string): Promise<ExternalIdentity[]>;
  /** The consumer of the identity triple in `pool` — never one of another environment (SPEC §1). */
  findConsumerByExternalIdentity(pool: UserPool, identity: ExternalIdentity): Promise<Consumer | undefined>;
  findConsumerByCanonicalSubject(pool: UserPool, canonicalSubject: string): Promise<Consumer | undefined>;
  /**
   * Creates a consumer with its first external identity (in the consumer's pool); throws
   * UniqueConflict if either is taken there.
   */
  createConsumerWithIdentity(consumer: Consumer, identityId: string, identity: ExternalIdentity): Promise<void>;
  /**
   * Attaches an identity to an existing consumer, in that consumer's pool; throws UniqueConflict if
   * the triple is taken there.
   */
  attachExternalIdentity(consumerId: string, identityId: string, identity: ExternalIdentity, now: number): Promise<void>;
  /**
   * Sets each given field only where the consumer's value is still empty (claims: per key), never
   * overwriting (SPEC §5.1). A canonical subject taken by another consumer of its pool is left unset.
   * Returns the consumer as stored afterwards.
   */
  fillEmptyConsumerFields(
    consumerId: string,
    fields: { email?: string; phone?: string; fullName?: string; canonicalSubject?: string; claims?: Record<string, unknown> },
    now: number,
  ): Promise<Consumer>;

  createExchangeCode(code: ExchangeCode): Promise<void>;
  /**
   * Redeems an exchange code and writes the sign-in it makes in one transaction (issue 12.1). One
   * conditional UPDATE consumes the code: it succeeds for exactly one caller, and only while the code
   * is unused, unexpired, minted by `applicationId` and — when it carries a challenge —
   * `codeChallenge` equals it. The winner's `signIn` gets the code, the consumer it names now
   * (following merges) and — when `withGuest` — whether that consumer has had a session; its writes
   * commit with the consumption. If anything throws, nothing commits and the code stays usable.
   * Returns the code and the signed-in consumer as stored when the writes changed it, or undefined
   * when no code matched.
   */
  redeemExchangeCode(
    match: { codeHash: string; applicationId: string; codeChallenge: string | null; now: number; withGuest: boolean },
    signIn: (redeemed: { code: ExchangeCode; consumer: Consumer | undefined; hasSessions: boolean }) => SignInWrites,
  ): Promise<{ code: ExchangeCode; signedIn: Consumer | undefined } | undefined>;
  /** Reads a code without changing it, to explain a failed consume. */
  findExchangeCode(codeHash: string): Promise<ExchangeCode | undefined>;

  /**
   * Creates the session, (unless it has none, like login tokens) the first refresh token of its
   * family and its audit events, in one transaction.
   */
  startSession(session: Session, firstRefreshToken: RefreshTokenRecord | null, auditEvents?: readonly AuditEvent[]): Promise<void>;
  getSession(id: string): Promise<Session | undefined>;
  /** True when the consumer has ever had a session. */
  consumerHasSessions(consumerId: string): Promise<boolean>;
  /** Revokes every live session of a consumer (and their refresh tokens); returns how many. */
  revokeConsumerSessions(consumerId: string, now: number): Promise<number>;
  /** Revokes the session and every refresh token of its family; returns false if it was already revoked. */
  revokeSession(sessionId: string, now: number): Promise<boolean>;
  /**
   * RP-Initiated Logout 1.0 §2 (SPEC §9): ends a browser's sign-in in one transaction — the `login`
   * session `browserSessionId` and, when `applicationId` is given, the OAuth token families that
   * sign-in started for that application (`browserSessionId` on the family), with every refresh
   * token of them. Families of other applications, and sessions of any other kind, are untouched.
   * Returns whether the login session was live and how many families it revoked.
   */
  endBrowserSession(browserSessionId: string, applicationId: string | null, now: number): Promise<{ loginSessionRevoked: boolean; familiesRevoked: number }>;
  /**
   * RP-Initiated Logout 1.0 §2 with an `id_token_hint` whose browser sign-in is not (or no longer)
   * this browser's: revokes only the OAuth token families that sign-in started for `applicationId`
   * on behalf of `consumerId`, with their refresh tokens — not the sign-in itself, which may be
   * another browser's. Returns how many families it revoked.
   */
  revokeBrowserSessionFamilies(browserSessionId: string, applicationId: string, consumerId: string, now: number): Promise<number>;

  /**
   * Rotates a refresh token: one conditional UPDATE marks `tokenHash` rotated only while it is
   * unrotated, unrevoked, unexpired and its session live and of `applicationId`; the winner inserts
   * the successor (same session) in the same transaction. Exactly one concurrent caller gets the
   * old record back, with the family's session as that transaction saw it (live); the others get
   * undefined.
   */
  rotateRefreshToken(
    tokenHash: string,
    applicationId: string,
    kind: Session['kind'],
    successor: { tokenHash: string; expiresAt: number },
    now: number,
  ): Promise<{ token: RefreshTokenRecord; session: Session } | undefined>;
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined>;

  insertSigningKey(key: SigningKeyRecord): Promise<void>;
  /** Keys not retired at `now`, newest first. */
  listPublishedSigningKeys(now: number): Promise<SigningKeyRecord[]>;
  /** Sets `retiresAt` on every unretired key except `exceptKid`. */
  retireSigningKeys(algorithm: SigningKeyRecord['algorithm'], exceptKid: string, retiresAt: number): Promise<void>;

  /**
   * Stores `code` as the destination's pending code, replacing any earlier one — unless the earlier
   * one was issued less than `cooldownSeconds` ago, in which case nothing changes and the earlier
   * code's `createdAt` is returned as `cooldownSince`. One conditional upsert (SPEC §5.4).
   */
  replaceOtpCode(code: OtpCode, cooldownSeconds: number): Promise<{ issued: true } | { issued: false; cooldownSince: number }>;
  /** Deletes the destination's pending code if it is still `codeHash` (delivery failed: no usable code). */
  discardOtpCode(pool: UserPool, destination: string, codeHash: string): Promise<void>;
  /**
   * One verification attempt at the destination's pending code in `pool` and, when it verifies, the
   * sign-in it makes — one transaction (issue 12.1). One conditional UPDATE, while the code is
   * unconsumed, unexpired and under `maxAttempts`, counts the attempt and consumes the code when
   * `codeHash` matches: exactly one concurrent caller can verify a code; the attempt that reaches
   * `maxAttempts` burns it. On a match `signIn` gets the code and the consumer of `identity` in the
   * pool (when one is given), and its writes commit with the consumption; if anything throws, nothing
   * commits — not even the attempt — and the code stays pending. A wrong attempt commits alone.
   */
  redeemOtpCode(
    attempt: { pool: UserPool; destination: string; codeHash: string; maxAttempts: number; now: number },
    identity: ExternalIdentity | null,
    signIn: (verified: { code: OtpCode; owner: Consumer | undefined }) => SignInWrites,
  ): Promise<OtpRedemption>;

  /**
   * Records that a one-time code sent to `address` was just entered (OpenID Connect `email_verified`,
   * `phone_number_verified`): sets `emailVerifiedAt` / `phoneVerifiedAt` to `now` — only while the
   * consumer's email / phone still is that address, so a proof never vouches for another value.
   */
  markContactVerified(consumerId: string, contact: 'email' | 'phone', address: string, now: number): Promise<void>;
  /** Sets (or clears) a user's argon2id password hash. */
  setPasswordHash(consumerId: string, passwordHash: string | null, now: number): Promise<void>;
  setSecondFactor(consumerId: string, secondFactor: 'sms' | null, now: number): Promise<void>;
  /** The consumer's TOTP enrollment, pending or confirmed. */
  getTotpFactor(consumerId: string): Promise<TotpFactor | undefined>;
  /**
   * Starts (or restarts) a TOTP enrollment with a new sealed secret: one conditional upsert that
   * replaces a pending enrollment but never a confirmed one. False (nothing changed) when the
   * consumer already has TOTP.
   */
  startTotpEnrollment(factor: Pick<TotpFactor, 'consumerId' | 'organizationId' | 'secretSealed' | 'createdAt'>): Promise<boolean>;
  /**
   * Confirms the pending enrollment whose sealed secret is `secretSealed` (the one the first code was
   * checked against), in one transaction: one conditional UPDATE confirms it (still pending, same
   * secret: exactly one concurrent caller wins) and records `step` as used; the consumer's
   * `totpEnabledAt` is set; its recovery codes are replaced by `recoveryCodeHashes`; the audit events
   * are stored. False (nothing written) when no such pending enrollment exists.
   */
  confirmTotpEnrollment(
    confirm: { consumerId: string; secretSealed: string; step: number; recoveryCodeHashes: readonly string[]; now: number },
    auditEvents: readonly AuditEvent[],
  ): Promise<boolean>;
  /**
   * Spends a proof of the TOTP second factor and writes what it completes, in one transaction (issue
   * 12.1). A TOTP step is accepted by one conditional UPDATE only when the consumer's TOTP is
   * confirmed and the step is later than the last one used (RFC 6238 §5.2: a code is never accepted
   * twice, nor an older one after a newer); a recovery code by one conditional UPDATE only while it
   * is unused. Exactly one concurrent caller wins. `complete`'s writes (a sign-in, audit events)
   * commit with it; if anything throws, nothing commits. Undefined when the proof was not accepted.
   */
  redeemSecondFactor(
    consumerId: string,
    proof: SecondFactorProof,
    now: number,
    complete: () => SignInWrites,
  ): Promise<{ signedIn: Consumer | undefined } | undefined>;
  /**
   * Removes the consumer's TOTP (pending or confirmed) and every recovery code, clears
   * `totpEnabledAt` and stores the audit events — one transaction. False when there was none.
   * `onlyUnconfirmed`: removes it only while still pending (one conditional DELETE), so a removal
   * without proof cannot take an enrollment confirmed meanwhile.
   */
  removeTotpFactor(consumerId: string, now: number, auditEvents: readonly AuditEvent[], options?: { onlyUnconfirmed?: boolean }): Promise<boolean>;
  /**
   * Replaces every recovery code of a consumer with confirmed TOTP by `codeHashes` (the old ones stop
   * working), with its audit events — one transaction, serialized per consumer by a conditional
   * UPDATE of the TOTP row. False (nothing written) when the consumer has no confirmed TOTP.
   */
  replaceRecoveryCodes(consumerId: string, codeHashes: readonly string[], now: number, auditEvents: readonly AuditEvent[]): Promise<boolean>;
  /** How many of the consumer's recovery codes are still unused. */
  countUnusedRecoveryCodes(consumerId: string): Promise<number>;
  /** The consumer of `pool` that owns `email` (a verified email identity) and its password hash, if it has one. */
  findPasswordUser(pool: UserPool, email: string): Promise<{ consumer: Consumer; passwordHash: string } | undefined>;

  createAuthorizationRequest(request: AuthorizationRequest): Promise<void>;
  getAuthorizationRequest(id: string): Promise<AuthorizationRequest | undefined>;
  /**
   * Marks a request used with one conditional UPDATE (unused, unexpired, of `applicationId`); returns
   * it or undefined. For a request that is answered with nothing (denied); one that issues a code is
   * redeemed by `redeemAuthorizationRequest`.
   */
  consumeAuthorizationRequest(id: string, applicationId: string, now: number): Promise<AuthorizationRequest | undefined>;
  /**
   * SPEC §6.3 step 3 in one transaction (issue 12.1): one conditional UPDATE consumes the request
   * (unused, unexpired, of `applicationId`: exactly one caller wins); the winner records the grant
   * `issue.grant` describes (as `recordGrant` does) and inserts the code `issue.code` makes for the
   * grant as recorded, with its audit events. If anything throws, nothing commits and the request
   * stays pending. Returns the request and the grant, or undefined when no request matched.
   */
  redeemAuthorizationRequest(
    match: { id: string; applicationId: string; now: number },
    issue: {
      grant: (request: AuthorizationRequest) => Grant;
      code: (request: AuthorizationRequest, grant: Grant) => { code: AuthorizationCode; auditEvents: readonly AuditEvent[] };
    },
  ): Promise<{ request: AuthorizationRequest; grant: Grant } | undefined>;

  /** Records (or widens, or revives) the consumer's grant to the application; returns it. */
  recordGrant(grant: Grant): Promise<Grant>;
  /** Revokes the grant of (application, consumer) and every OAuth session under it; returns how many sessions. */
  revokeGrant(applicationId: string, consumerId: string, now: number): Promise<number>;

  createAuthorizationCode(code: AuthorizationCode): Promise<void>;
  /**
   * Redeems an authorization code and starts its token family in one transaction: one conditional
   * UPDATE matches only an unused, unexpired code of `applicationId` with this exact redirect URI
   * and PKCE challenge (RFC 6749 §4.1.3, RFC 7636 §4.6); the winner inserts `family`, its first
   * refresh token and its audit events (issue 12.1: all commit with the consumption, or none does).
   * Returns the code, or undefined when nothing matched.
   */
  redeemAuthorizationCode(
    /** `codeChallenge` null: no `code_verifier` was sent, which matches only a code issued without PKCE. */
    match: { codeHash: string; applicationId: string; redirectUri: string; codeChallenge: string | null; now: number },
    family: (code: AuthorizationCode) => { session: Session; firstRefreshToken: RefreshTokenRecord | null; auditEvents?: readonly AuditEvent[] },
  ): Promise<AuthorizationCode | undefined>;
  findAuthorizationCode(codeHash: string): Promise<AuthorizationCode | undefined>;
  /** RFC 6749 §4.1.2: revokes every session (token family) issued from the code; returns how many. */
  revokeSessionsOfCode(codeHash: string, now: number): Promise<number>;

  createPushedAuthorizationRequest(request: PushedAuthorizationRequest): Promise<void>;
  /**
   * RFC 9126 §4: consumes a pushed request with one conditional UPDATE (unused, unexpired, pushed by
   * `applicationId`): under any concurrency exactly one caller gets it; every other gets undefined.
   */
  consumePushedAuthorizationRequest(match: { requestUriHash: string; applicationId: string; now: number }): Promise<PushedAuthorizationRequest | undefined>;

  /** The sealed delivery settings of an organization, or null for the development sender. */
  getDeliverySettingsSealed(organizationId: string): Promise<string | null>;
  setDeliverySettingsSealed(organizationId: string, sealed: string | null): Promise<void>;
  appendDevMessage(message: DevMessage): Promise<void>;
  /** Newest first. */
  listDevMessages(filter: { organizationId?: string; recipient?: string; limit?: number }): Promise<DevMessage[]>;

  /**
   * Takes (or renews) the named lease for `holder` until `expiresAt` with one conditional upsert:
   * true only when no other holder has it unexpired — one instance at a time runs periodic work.
   */
  acquireLease(name: string, holder: string, now: number, expiresAt: number): Promise<boolean>;
  /**
   * Deletes at most `batchSize` rows of `artefact` that nothing needs any more (see PURGE_RULES in
   * storage/sql/housekeeping.ts); returns how many went. Rows still needed for replay detection stay.
   */
  purgeExpired(artefact: PurgeableArtefact, cutoffs: PurgeCutoffs, batchSize: number): Promise<number>;

  /**
   * Records a session-less access token (client_credentials) as revoked until `expiresAt`, when it
   * would have expired anyway. Idempotent; true when this call revoked it.
   */
  revokeAccessToken(token: { jti: string; applicationId: string; expiresAt: number }, now: number): Promise<boolean>;
  isAccessTokenRevoked(jti: string): Promise<boolean>;

  /**
   * RFC 9449 §11.1: records a DPoP proof's `jti` (as `jtiHash`) until `expiresAt`, with one
   * conditional insert — true for exactly one caller on any number of instances; false when it was
   * recorded already and has not expired (a replay). A row past its expiry may be taken over.
   */
  recordDpopProof(proof: { jtiHash: string; expiresAt: number }, now: number): Promise<boolean>;
  /**
   * RFC 9449 §5: binds an unbound refresh-token family (its session) to a DPoP key, with one
   * conditional update (`dpop_jkt IS NULL`) — true for exactly one caller; false when the family is
   * already bound (to any key) or does not exist. Never rebinds.
   */
  bindSessionToDpopKey(sessionId: string, jkt: string): Promise<boolean>;

  /** Stores a new admin token with the SHA-256 of its secret (SPEC §10). */
  createAdminToken(token: AdminToken, tokenHash: string): Promise<void>;
  /** The token whose secret hashes to `tokenHash` (revoked or not), with the stored hash. */
  findAdminTokenByHash(tokenHash: string): Promise<{ token: AdminToken; tokenHash: string } | undefined>;
  getAdminToken(id: string): Promise<AdminToken | undefined>;
  /**
   * Admin tokens in id order. `organizationId` a string: only that organization's tokens; absent:
   * every token (all-organizations ones included).
   */
  listAdminTokens(filter: { organizationId?: string }, page: PageRequest): Promise<AdminToken[]>;
  /** Revokes the token with one conditional UPDATE; false when it was already revoked (or is unknown). */
  revokeAdminToken(id: string, now: number): Promise<boolean>;
  /** Sets `lastUsedAt` to `now` unless it was set less than `minIntervalMs` ago (one conditional UPDATE). */
  touchAdminToken(id: string, now: number, minIntervalMs: number): Promise<void>;

  /** Organizations in id order (the admin API's list); `organizationId`: only that one. */
  pageOrganizations(filter: { organizationId?: string }, page: PageRequest): Promise<Organization[]>;
  /** Every signing key ever made, retired ones included, newest first (the admin API's list). */
  listAllSigningKeys(): Promise<SigningKeyRecord[]>;
  /** Audit events in id (time) order matching every given filter (SPEC §10). */
  pageAuditEvents(filter: AuditEventFilter, page: PageRequest): Promise<AuditEvent[]>;
  /**
   * Consumers in id order (SPEC §10 admin list), tombstones of merged guests left out (they speak
   * for another consumer).
   */
  listConsumers(filter: ConsumerFilter, page: PageRequest): Promise<Consumer[]>;
  /**
   * Changes a consumer's email, phone or full name (an operator's change), in one transaction: the
   * `latchkey` email / phone identity follows its address (so the person signs in with the new one;
   * a consumer without an email identity gets one, `emailIdentityId`), a changed address is no longer verified, and clearing the phone turns the SMS second factor off.
   * Throws UniqueConflict when the new address is another consumer's identity in the pool. Returns the
   * consumer as stored, or undefined when there is none.
   */
  updateConsumerContacts(consumerId: string, change: ConsumerContactChange, now: number): Promise<Consumer | undefined>;
  /**
   * SPEC §10 disable, one transaction: sets `disabledAt` (one conditional UPDATE, which locks the row
   * against sign-ins writing a session) and revokes every live session of the consumer with their
   * refresh tokens. `disabled` false: it already was.
   */
  disableConsumer(consumerId: string, now: number): Promise<{ disabled: boolean; sessionsRevoked: number }>;
  /** Clears `disabledAt`; false when it was not disabled. */
  enableConsumer(consumerId: string, now: number): Promise<boolean>;
  /** A consumer's sessions in id order, revoked ones included. */
  listConsumerSessions(consumerId: string, page: PageRequest): Promise<Session[]>;
  /** A consumer's grants in id order, revoked ones included. */
  listConsumerGrants(consumerId: string, page: PageRequest): Promise<Grant[]>;
  getGrant(id: string): Promise<Grant | undefined>;
  /**
   * SPEC §10 erasure, one transaction: deletes the consumer, every consumer merged into it (its
   * absorbed guests: the same person) and everything of theirs — identities, password hash, sessions
   * and refresh tokens, grants, authorization and exchange codes, OTP codes and development outbox
   * messages to their addresses, authorization requests naming them (login hint, ID token hint) —
   * and anonymises their audit events: every id of theirs becomes `pseudonym` (in the data and the
   * `consumer_id` column) and data values holding their addresses, name or identity subjects are
   * removed. Then stores the events `record` makes of the counts (the erasure's own), in the same
   * transaction. Undefined when there is no such consumer.
   */
  eraseConsumer(consumerId: string, pseudonym: string, record: (erased: ErasureCounts) => readonly AuditEvent[]): Promise<ErasureCounts | undefined>;

  /** Stores the challenge of a WebAuthn ceremony (SPEC §12). */
  createWebAuthnChallenge(challenge: WebAuthnChallenge): Promise<void>;
  /** Reads a challenge without changing it (to pick the ceremony's checks, and to explain a refusal). */
  findWebAuthnChallenge(challengeHash: string): Promise<WebAuthnChallenge | undefined>;
  /**
   * Consumes a challenge on its own — a ceremony that failed verification burns it — with one
   * conditional UPDATE (unused, unexpired, of `applicationId` and `purpose`): exactly one caller gets
   * it back; the others get undefined.
   */
  consumeWebAuthnChallenge(match: { challengeHash: string; applicationId: string; purpose: WebAuthnChallenge['purpose']; now: number }): Promise<WebAuthnChallenge | undefined>;
  /**
   * SPEC §12 registration in one transaction: one conditional UPDATE consumes the `registration`
   * challenge (unused, unexpired, of `applicationId` and of the passkey's consumer: exactly one caller
   * wins), then the passkey and its audit events are inserted. Throws UniqueConflict (nothing
   * committed) when the credential id is registered already. False when no challenge matched.
   */
  registerPasskey(match: { challengeHash: string; applicationId: string; now: number }, passkey: Passkey, auditEvents: readonly AuditEvent[]): Promise<boolean>;
  /**
   * SPEC §12 passkey sign-in in one transaction (issue 12.1): one conditional UPDATE consumes the
   * `authentication` challenge (unused, unexpired, of `applicationId`: exactly one caller wins); one
   * conditional UPDATE records the use on the passkey — counter, backup state, last used — only while
   * the stored counter is below the new one, or both are 0 (WebAuthn L3 §7.2 step 21: otherwise the
   * authenticator may be cloned: `stale_counter`, and only the challenge's consumption commits); then
   * the writes `signIn` plans for the passkey's consumer commit with both. If anything throws,
   * nothing commits.
   */
  redeemPasskeyAssertion(
    match: { challengeHash: string; applicationId: string; now: number },
    use: PasskeyUse,
    signIn: (owner: Consumer) => SignInWrites,
  ): Promise<PasskeyRedemption>;
  findPasskeyByCredentialId(credentialId: string): Promise<Passkey | undefined>;
  /** A consumer's passkeys, oldest first. */
  listPasskeys(consumerId: string): Promise<Passkey[]>;
  /** Renames the consumer's passkey; undefined when it has no passkey of that id. */
  renamePasskey(passkeyId: string, consumerId: string, name: string): Promise<Passkey | undefined>;
  /** Deletes the consumer's passkey; false when it has no passkey of that id. */
  deletePasskey(passkeyId: string, consumerId: string): Promise<boolean>;

  /** Appends events in one statement (the audit log writes what concurrent requests recorded together). */
  recordAuditEvents(events: readonly AuditEvent[]): Promise<void>;
  listAuditEvents(organizationId: string | null, type?: string): Promise<AuditEvent[]>;
}
