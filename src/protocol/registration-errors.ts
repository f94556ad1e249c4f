import { OAuthError } from './oauth-errors.js';

/** RFC 7591 §3.2.2: a redirect URI that cannot be registered. */
export class InvalidRedirectUriError extends OAuthError {
  readonly status = 400;
  readonly code = 'invalid_redirect_uri';
}

/** RFC 7591 §3.2.2: a metadata value that is invalid or not offered to such clients. */
export class InvalidClientMetadataError extends OAuthError {
  readonly status = 400;
  readonly code = 'invalid_client_metadata';
}

/**
 * SPEC §13: registration is off for the organization of clients nobody registered by hand. RFC 7591
 * names no error for it; 403 `access_denied` says the endpoint exists and refuses everyone.
 */
export class RegistrationClosed extends OAuthError {
  readonly status = 403;
  readonly code = 'access_denied';
}
