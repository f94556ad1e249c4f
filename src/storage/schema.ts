import type { Generated } from 'kysely';

/**
 * Table shapes as Kysely sees them. Column names are snake_case; row mapping to camelCase domain
 * values happens in the storage modules only (STYLE §1). Instants are integer milliseconds since the
 * epoch (`bigint` on PostgreSQL, read back as numbers).
 */
export interface Database {
  organizations: {
    id: string;
    name: string;
    settings: string;
    delivery_sealed: string | null;
    display_name: string | null;
    logo_url: string | null;
    accent_color: string | null;
    created_at: number;
    /** Migration 016: `off` or the environment of such clients (SPEC §13). */
    client_id_metadata_documents: Generated<'off' | 'test' | 'live'>;
    dynamic_client_registration: Generated<'off' | 'test' | 'live'>;
    registration_token_hash: string | null;
  };
  applications: {
    id: string;
    organization_id: string;
    name: string;
    publishable_key: string;
    environment: 'test' | 'live';
    type: 'confidential' | 'public';
    redirect_uris: string;
    allowed_scopes: string;
    allowed_origins: string;
    logo_url: string | null;
    accent_color: string | null;
    is_first_party: number;
    pkce_policy: 'required' | 'optional';
    post_logout_redirect_uris: string;
    access_token_alg: 'EdDSA' | 'RS256';
    /** JSON list (migration 013). */
    passkey_origins: string;
    /** Migration 014: RFC 9126 §6 (0 or 1). */
    require_pushed_authorization_requests: number;
    /** Migration 014: RFC 8707 resource indicators it may ask for, JSON list. */
    resources: string;
    /** 0/1 (migration 015, RFC 9449). */
    require_dpop: number;
    created_at: number;
    disabled_at: number | null;
    /** Migration 016: how the application came to exist (SPEC §13). */
    registration: Generated<'manual' | 'metadata_document' | 'dynamic'>;
  };
  application_secrets: {
    secret_hash: string;
    application_id: string;
    created_at: number;
    expires_at: number | null;
  };
  consumers: {
    id: string;
    organization_id: string;
    environment: 'test' | 'live';
    type: 'guest' | 'authenticated';
    email: string | null;
    phone: string | null;
    full_name: string | null;
    canonical_subject: string | null;
    claims: string;
    merged_into_id: string | null;
    password_hash: string | null;
    second_factor: 'sms' | null;
    /** Migration 012: when the TOTP enrollment was confirmed (null: no TOTP). */
    totp_enabled_at: number | null;
    email_verified_at: number | null;
    phone_verified_at: number | null;
    created_at: number;
    updated_at: number;
    disabled_at: number | null;
  };
  identities: {
    id: string;
    organization_id: string;
    /** Always its consumer's (migration 009). */
    environment: 'test' | 'live';
    consumer_id: string;
    provider: string;
    issuer: string;
    subject: string;
    created_at: number;
  };
  exchange_codes: {
    code_hash: string;
    organization_id: string;
    application_id: string;
    consumer_id: string;
    code_challenge: string | null;
    resolution: string | null;
    created_at: number;
    expires_at: number;
    consumed_at: number | null;
  };
  sessions: {
    id: string;
    organization_id: string;
    application_id: string;
    consumer_id: string;
    type: 'guest' | 'authenticated';
    kind: 'consumer' | 'login' | 'oauth';
    grant_id: string | null;
    scope: string | null;
    code_hash: string | null;
    browser_session_id: string | null;
    auth_time: number | null;
    claims: string | null;
    /** Migration 014: RFC 8707 resources granted, JSON list (null: none). */
    resources: string | null;
    /** RFC 7638 thumbprint of the DPoP key the family is bound to (migration 015). */
    dpop_jkt: string | null;
    created_at: number;
    revoked_at: number | null;
  };
  refresh_tokens: {
    token_hash: string;
    session_id: string;
    created_at: number;
    expires_at: number;
    rotated_at: number | null;
    revoked_at: number | null;
  };
  signing_keys: {
    kid: string;
    algorithm: string;
    public_jwk: string;
    private_key_sealed: string;
    created_at: number;
    activates_at: number;
    retires_at: number | null;
  };
  otp_codes: {
    organization_id: string;
    environment: 'test' | 'live';
    destination: string;
    channel: 'email' | 'sms';
    application_id: string;
    code_hash: string;
    name: string | null;
    created_at: number;
    expires_at: number;
    attempts: number;
    consumed_at: number | null;
  };
  dev_outbox: {
    id: string;
    organization_id: string;
    channel: 'email' | 'sms';
    recipient: string;
    subject: string;
    body: string;
    created_at: number;
  };
  authorization_requests: {
    id: string;
    organization_id: string;
    application_id: string;
    redirect_uri: string;
    state: string;
    code_challenge: string;
    scope: string;
    nonce: string | null;
    prompt: string | null;
    max_age: number | null;
    login_hint: string | null;
    id_token_hint_subject: string | null;
    claims: string | null;
    /** Migration 014: RFC 8707 resources asked for, JSON list (null: none). */
    resources: string | null;
    /** Migration 017: RFC 9449 §10 DPoP key thumbprint the code is bound to (null: none). */
    dpop_jkt: string | null;
    created_at: number;
    expires_at: number;
    consumed_at: number | null;
  };
  grants: {
    id: string;
    organization_id: string;
    application_id: string;
    consumer_id: string;
    scope: string;
    created_at: number;
    updated_at: number;
    revoked_at: number | null;
  };
  authorization_codes: {
    code_hash: string;
    organization_id: string;
    application_id: string;
    consumer_id: string;
    grant_id: string;
    redirect_uri: string;
    code_challenge: string;
    scope: string;
    nonce: string | null;
    auth_time: number;
    browser_session_id: string | null;
    claims: string | null;
    /** Migration 014: RFC 8707 resources granted, JSON list (null: none). */
    resources: string | null;
    /** Migration 017: RFC 9449 §10 DPoP key thumbprint the code is bound to (null: none). */
    dpop_jkt: string | null;
    created_at: number;
    expires_at: number;
    consumed_at: number | null;
  };
  /** Migration 014: RFC 9126 pushed authorization requests, single use, 60 s. */
  pushed_authorization_requests: {
    request_uri_hash: string;
    organization_id: string;
    application_id: string;
    parameters: string;
    created_at: number;
    expires_at: number;
    consumed_at: number | null;
  };
  dpop_proofs: {
    jti_hash: string;
    expires_at: number;
  };
  revoked_access_tokens: {
    jti: string;
    application_id: string;
    expires_at: number;
    revoked_at: number;
  };
  leases: {
    name: string;
    holder: string;
    expires_at: number;
  };
  audit_events: {
    id: string;
    organization_id: string | null;
    type: string;
    data: string;
    created_at: number;
    /** data.actor.id: the admin token that made the change (migration 011). */
    actor_id: string | null;
    /** data.consumerId: the consumer the event is about. */
    consumer_id: string | null;
  };
  admin_tokens: {
    id: string;
    name: string;
    token_hash: string;
    organization_id: string | null;
    read_only: number;
    created_at: number;
    revoked_at: number | null;
    last_used_at: number | null;
  };
  passkeys: {
    id: string;
    organization_id: string;
    consumer_id: string;
    credential_id: string;
    public_key: string;
    sign_count: number;
    transports: string;
    backup_eligible: number;
    backed_up: number;
    device_type: 'singleDevice' | 'multiDevice';
    aaguid: string;
    name: string;
    created_at: number;
    last_used_at: number | null;
  };
  webauthn_challenges: {
    challenge_hash: string;
    organization_id: string;
    application_id: string;
    purpose: 'registration' | 'authentication';
    consumer_id: string | null;
    created_at: number;
    expires_at: number;
    consumed_at: number | null;
  };
  /** Migration 012: a consumer's TOTP shared secret, sealed (SPEC §12, RFC 6238). */
  totp_factors: {
    consumer_id: string;
    organization_id: string;
    secret_sealed: string;
    created_at: number;
    confirmed_at: number | null;
    last_used_step: number | null;
  };
  /** Migration 012: single-use recovery codes, as keyed hashes only. */
  recovery_codes: {
    consumer_id: string;
    code_hash: string;
    created_at: number;
    consumed_at: number | null;
  };
}
