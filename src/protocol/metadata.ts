import { DPOP_SIGNING_ALGORITHMS } from './dpop.js';
import { ID_TOKEN_CLAIMS, PERSON_CLAIMS } from './openid-claims.js';
import { OPENID_SCOPES } from './scopes.js';

/** SPEC §13: what the organization of clients nobody registered by hand has switched on. */
export interface ClientRegistrationFeatures {
  metadataDocuments?: boolean;
  dynamicRegistration?: boolean;
}

/**
 * RFC 8414 §2 authorization server metadata. Lists every endpoint, grant type, PKCE method, client
 * authentication method and signing algorithm offered — and nothing that is not (CHECKLIST).
 */
export function authorizationServerMetadata(issuer: string, features: ClientRegistrationFeatures = {}): Record<string, unknown> {
  const clientAuthMethods = ['client_secret_basic', 'client_secret_post', 'none'];
  return {
    issuer,
    authorization_endpoint: `${issuer}/v1/auth/oauth/authorize/initiate`,
    token_endpoint: `${issuer}/v1/auth/oauth/token`,
    revocation_endpoint: `${issuer}/v1/auth/oauth/revoke`,
    introspection_endpoint: `${issuer}/v1/auth/oauth/introspect`,
    // RFC 9126 §5: PAR is offered; no application requires it unless it says so (its own setting).
    pushed_authorization_request_endpoint: `${issuer}/v1/auth/oauth/par`,
    require_pushed_authorization_requests: false,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    // SPEC §9: the RFC 8414 document lists the scopes too.
    scopes_supported: OPENID_SCOPES,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: clientAuthMethods,
    revocation_endpoint_auth_methods_supported: clientAuthMethods,
    // RFC 7662 §2.1: introspection always needs client authentication.
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    // RFC 9207: the authorization response carries `iss`.
    authorization_response_iss_parameter_supported: true,
    // RFC 9449 §5.1: DPoP proofs are accepted at the token endpoint, signed with one of these.
    dpop_signing_alg_values_supported: DPOP_SIGNING_ALGORITHMS,
    service_documentation: `${issuer}/openapi.json`,
    // CIMD §5: an https URL works as client_id — said only when it does.
    ...(features.metadataDocuments ? { client_id_metadata_document_supported: true } : {}),
    // RFC 8414 §2 / RFC 7591 §3: present only when registration is open to clients.
    ...(features.dynamicRegistration ? { registration_endpoint: `${issuer}/v1/auth/oauth/register` } : {}),
  };
}

/**
 * OpenID Connect Discovery 1.0 §3: the same, plus what an OpenID Provider offers. SPEC §9:
 * "Discovery lists exactly what works" — userinfo is unsigned (no `userinfo_signing_alg_values_supported`),
 * request objects are not accepted, and only the query response mode exists.
 */
export function openIdConfiguration(issuer: string, features: ClientRegistrationFeatures = {}): Record<string, unknown> {
  return {
    ...authorizationServerMetadata(issuer, features),
    userinfo_endpoint: `${issuer}/v1/auth/oauth/userinfo`,
    // RP-Initiated Logout 1.0 §2.1.
    end_session_endpoint: `${issuer}/v1/auth/oauth/end-session`,
    subject_types_supported: ['public'],
    // OpenID Connect Discovery §3: RS256 MUST be listed; ID tokens are signed with it (crypto/signing-keys.ts).
    id_token_signing_alg_values_supported: ['RS256'],
    claim_types_supported: ['normal'],
    claims_supported: [...ID_TOKEN_CLAIMS, ...PERSON_CLAIMS],
    // Core §5.5: essential claims are honoured in UserInfo and the ID token.
    claims_parameter_supported: true,
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    request_parameter_supported: false,
    // Core §6.2 request objects by reference are not fetched; the only `request_uri` accepted is one
    // of the pushed authorization request endpoint (RFC 9126 §4), advertised above.
    request_uri_parameter_supported: false,
  };
}
