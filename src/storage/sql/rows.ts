import type { Insertable, Selectable } from 'kysely';
import { DEFAULT_ORGANIZATION_SETTINGS } from '../../protocol/lifetimes.js';
import type { Database } from '../schema.js';
import type {
  AdminToken, Application, AuditEvent, AuthorizationCode, AuthorizationRequest, Consumer, Grant, DevMessage, ExchangeCode, Organization, OrganizationSettings, OtpCode,
  Passkey, RefreshTokenRecord, Session, SigningKeyRecord, WebAuthnChallenge,
} from '../store.js';

// The one seam where snake_case rows become camelCase domain values (STYLE §1).

type Row<T extends keyof Database> = Selectable<Database[T]>;

/**
 * `state` and `code_challenge` of authorization requests and codes are NOT NULL columns that hold ''
 * for "not sent" (migration 010); domain values say null. `absentAsEmpty` is the way back.
 */
const nullIfAbsent = (value: string): string | null => (value === '' ? null : value);
export const absentAsEmpty = (value: string | null): string => value ?? '';

export function toOrganization(row: Row<'organizations'>): Organization {
  return {
    id: row.id,
    name: row.name,
    settings: { ...DEFAULT_ORGANIZATION_SETTINGS, ...(JSON.parse(row.settings) as Partial<OrganizationSettings>) },
    branding: { displayName: row.display_name, logoUrl: row.logo_url, accentColor: row.accent_color },
    createdAt: row.created_at,
  };
}

/** RFC 8707 resources → column: a JSON list, or null for none (migration 014). */
export function resourcesColumn(resources: readonly string[] | undefined): string | null {
  return resources && resources.length > 0 ? JSON.stringify(resources) : null;
}

/** Column → RFC 8707 resources (null: none). */
export function fromResourcesColumn(value: string | null | undefined): string[] {
  return value ? (JSON.parse(value) as string[]) : [];
}

export function toApplication(row: Row<'applications'>): Application {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    publishableKey: row.publishable_key,
    environment: row.environment,
    type: row.type,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    allowedScopes: JSON.parse(row.allowed_scopes) as string[],
    allowedOrigins: JSON.parse(row.allowed_origins) as string[],
    logoUrl: row.logo_url,
    accentColor: row.accent_color,
    isFirstParty: Boolean(row.is_first_party),
    pkcePolicy: row.pkce_policy,
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris) as string[],
    accessTokenAlg: row.access_token_alg,
    passkeyOrigins: JSON.parse(row.passkey_origins) as string[],
    requirePushedAuthorizationRequests: Boolean(row.require_pushed_authorization_requests),
    resources: JSON.parse(row.resources) as string[],
    requireDpop: Boolean(row.require_dpop),
    createdAt: row.created_at,
    disabledAt: row.disabled_at ?? null,
    registration: row.registration,
  };
}

export function toConsumer(row: Row<'consumers'>): Consumer {
  return {
    id: row.id,
    organizationId: row.organization_id,
    environment: row.environment,
    type: row.type,
    email: row.email,
    phone: row.phone,
    fullName: row.full_name,
    canonicalSubject: row.canonical_subject,
    claims: JSON.parse(row.claims) as Record<string, unknown>,
    mergedIntoId: row.merged_into_id,
    secondFactor: row.second_factor,
    totpEnabledAt: row.totp_enabled_at ?? null,
    emailVerifiedAt: row.email_verified_at,
    phoneVerifiedAt: row.phone_verified_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    disabledAt: row.disabled_at ?? null,
  };
}

export function toExchangeCode(row: Row<'exchange_codes'>): ExchangeCode {
  return {
    codeHash: row.code_hash,
    organizationId: row.organization_id,
    applicationId: row.application_id,
    consumerId: row.consumer_id,
    codeChallenge: row.code_challenge,
    resolution: row.resolution as ExchangeCode['resolution'],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
  };
}

export function toSession(row: Row<'sessions'>): Session {
  return {
    id: row.id,
    organizationId: row.organization_id,
    applicationId: row.application_id,
    consumerId: row.consumer_id,
    type: row.type,
    kind: row.kind,
    grantId: row.grant_id,
    scope: row.scope,
    codeHash: row.code_hash,
    browserSessionId: row.browser_session_id,
    authTime: row.auth_time,
    claims: row.claims,
    dpopJkt: row.dpop_jkt,
    resources: fromResourcesColumn(row.resources),
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

export function toAuthorizationRequest(row: Row<'authorization_requests'>): AuthorizationRequest {
  return {
    id: row.id,
    organizationId: row.organization_id,
    applicationId: row.application_id,
    redirectUri: row.redirect_uri,
    state: nullIfAbsent(row.state),
    codeChallenge: nullIfAbsent(row.code_challenge),
    scope: row.scope,
    nonce: row.nonce,
    prompt: row.prompt,
    maxAge: row.max_age,
    loginHint: row.login_hint,
    idTokenHintSubject: row.id_token_hint_subject,
    claims: row.claims,
    resources: fromResourcesColumn(row.resources),
    // Absent when unbound, as the records built before migration 017 were.
    ...(row.dpop_jkt !== null ? { dpopJkt: row.dpop_jkt } : {}),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
  };
}

export function toGrant(row: Row<'grants'>): Grant {
  return {
    id: row.id,
    organizationId: row.organization_id,
    applicationId: row.application_id,
    consumerId: row.consumer_id,
    scope: row.scope,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    revokedAt: row.revoked_at,
  };
}

export function toAuthorizationCode(row: Row<'authorization_codes'>): AuthorizationCode {
  return {
    codeHash: row.code_hash,
    organizationId: row.organization_id,
    applicationId: row.application_id,
    consumerId: row.consumer_id,
    grantId: row.grant_id,
    redirectUri: row.redirect_uri,
    codeChallenge: nullIfAbsent(row.code_challenge),
    scope: row.scope,
    nonce: row.nonce,
    authTime: row.auth_time,
    browserSessionId: row.browser_session_id,
    claims: row.claims,
    resources: fromResourcesColumn(row.resources),
    // Absent when unbound, as the records built before migration 017 were.
    ...(row.dpop_jkt !== null ? { dpopJkt: row.dpop_jkt } : {}),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
  };
}

export function toRefreshToken(row: Row<'refresh_tokens'>): RefreshTokenRecord {
  return {
    tokenHash: row.token_hash,
    sessionId: row.session_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    rotatedAt: row.rotated_at,
    revokedAt: row.revoked_at,
  };
}

function signingAlgorithmOf(value: string): SigningKeyRecord['algorithm'] {
  if (value === 'EdDSA' || value === 'RS256') return value;
  throw new Error(`signing key with an unknown algorithm ${value}`);
}

export function toSigningKey(row: Row<'signing_keys'>): SigningKeyRecord {
  return {
    kid: row.kid,
    algorithm: signingAlgorithmOf(row.algorithm),
    publicJwk: JSON.parse(row.public_jwk),
    privateKeySealed: row.private_key_sealed,
    createdAt: row.created_at,
    activatesAt: row.activates_at,
    retiresAt: row.retires_at,
  };
}

export function toAuditEvent(row: Row<'audit_events'>): AuditEvent {
  return {
    id: row.id,
    organizationId: row.organization_id,
    type: row.type,
    data: JSON.parse(row.data) as Record<string, unknown>,
    createdAt: row.created_at,
  };
}

export function toOtpCode(row: Row<'otp_codes'>): OtpCode {
  return {
    organizationId: row.organization_id,
    environment: row.environment,
    destination: row.destination,
    channel: row.channel,
    applicationId: row.application_id,
    codeHash: row.code_hash,
    name: row.name,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    attempts: row.attempts,
    consumedAt: row.consumed_at,
  };
}

export function toDevMessage(row: Row<'dev_outbox'>): DevMessage {
  return {
    id: row.id,
    organizationId: row.organization_id,
    channel: row.channel,
    recipient: row.recipient,
    subject: row.subject,
    body: row.body,
    createdAt: row.created_at,
  };
}

export function toAdminToken(row: Row<'admin_tokens'>): AdminToken {
  return {
    id: row.id,
    name: row.name,
    organizationId: row.organization_id,
    readOnly: Boolean(row.read_only),
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

export function toPasskey(row: Row<'passkeys'>): Passkey {
  return {
    id: row.id,
    organizationId: row.organization_id,
    consumerId: row.consumer_id,
    credentialId: row.credential_id,
    publicKey: row.public_key,
    signCount: Number(row.sign_count),
    transports: JSON.parse(row.transports) as string[],
    backupEligible: Boolean(row.backup_eligible),
    backedUp: Boolean(row.backed_up),
    deviceType: row.device_type,
    aaguid: row.aaguid,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export function toWebAuthnChallenge(row: Row<'webauthn_challenges'>): WebAuthnChallenge {
  return {
    challengeHash: row.challenge_hash,
    organizationId: row.organization_id,
    applicationId: row.application_id,
    purpose: row.purpose,
    consumerId: row.consumer_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
  };
}

/** An application as its row (the secret lives in application_secrets). */
export function applicationRow(application: Application): Insertable<Database['applications']> {
  return {
    id: application.id,
    organization_id: application.organizationId,
    name: application.name,
    publishable_key: application.publishableKey,
    environment: application.environment,
    type: application.type,
    redirect_uris: JSON.stringify(application.redirectUris),
    allowed_scopes: JSON.stringify(application.allowedScopes),
    allowed_origins: JSON.stringify(application.allowedOrigins),
    logo_url: application.logoUrl,
    accent_color: application.accentColor,
    is_first_party: application.isFirstParty ? 1 : 0,
    pkce_policy: application.pkcePolicy,
    post_logout_redirect_uris: JSON.stringify(application.postLogoutRedirectUris),
    access_token_alg: application.accessTokenAlg,
    passkey_origins: JSON.stringify(application.passkeyOrigins),
    require_pushed_authorization_requests: application.requirePushedAuthorizationRequests ? 1 : 0,
    resources: JSON.stringify(application.resources),
    require_dpop: application.requireDpop ? 1 : 0,
    created_at: application.createdAt,
    disabled_at: application.disabledAt,
    registration: application.registration,
  };
}
