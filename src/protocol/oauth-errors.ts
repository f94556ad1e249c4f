import { ApiError } from './errors.js';

/**
 * RFC 6749 §5.2 errors of the OAuth endpoints (SPEC §3): `{ error, error_description }`, 400 — or
 * 401 for invalid_client and invalid_token. Serialized by the same module as every other ApiError.
 */
export abstract class OAuthError extends ApiError {
  override toBody(): Record<string, unknown> {
    return { error: this.code, error_description: this.message };
  }
}

/** RFC 6749 §5.2: missing, repeated or malformed parameter. */
export class InvalidRequest extends OAuthError {
  readonly status = 400;
  readonly code = 'invalid_request';
}

/** RFC 6749 §5.2: client authentication failed — 401, with `WWW-Authenticate: Basic` when Basic was tried. */
export class InvalidClient extends OAuthError {
  readonly status = 401;
  readonly code = 'invalid_client';
  constructor(message: string, options: { usedBasic?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    if (options.usedBasic) this.headers['WWW-Authenticate'] = 'Basic realm="latchkey", charset="UTF-8"';
  }
}

/** RFC 6749 §5.2: the code, refresh token or authorization session is invalid, expired, used or not this client's. */
export class InvalidGrant extends OAuthError {
  readonly status = 400;
  readonly code = 'invalid_grant';
}

/** RFC 6749 §5.2: this client may not use this grant type. */
export class UnauthorizedClient extends OAuthError {
  readonly status = 400;
  readonly code = 'unauthorized_client';
}

/** RFC 6749 §5.2. */
export class UnsupportedGrantType extends OAuthError {
  readonly status = 400;
  readonly code = 'unsupported_grant_type';
}

/** RFC 6749 §5.2 / §4.1.2.1: a scope outside what the client may ask for (or wider than granted). */
export class InvalidScope extends OAuthError {
  readonly status = 400;
  readonly code = 'invalid_scope';
}

/** RFC 6749 §4.1.2.1: only `response_type=code` is offered (RFC 9700 §2.1.2). */
export class UnsupportedResponseType extends OAuthError {
  readonly status = 400;
  readonly code = 'unsupported_response_type';
}

/** RFC 6749 §4.1.2.1: the user (or the server) denied the request. */
export class AccessDenied extends OAuthError {
  readonly status = 400;
  readonly code = 'access_denied';
}

/** RFC 6750 §3.1: a bearer token that is missing, expired, revoked or malformed. */
export class InvalidToken extends OAuthError {
  readonly status = 401;
  readonly code = 'invalid_token';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.headers['WWW-Authenticate'] = `Bearer realm="latchkey", error="invalid_token"`;
  }
}

/**
 * RFC 6750 §3.1: the token is good but its scope does not cover the request — 403, with the scope
 * needed in the challenge (OpenID Connect Core §5.3.3: UserInfo without `openid`).
 */
export class InsufficientScope extends OAuthError {
  readonly status = 403;
  readonly code = 'insufficient_scope';
  constructor(message: string, neededScope: string) {
    super(message);
    this.headers['WWW-Authenticate'] = `Bearer realm="latchkey", error="insufficient_scope", scope="${neededScope}"`;
  }
}

/** SPEC §6.2: wrong email or password (the same answer for an unknown email). */
export class InvalidCredentials extends ApiError {
  readonly status = 401;
  readonly code = 'invalid_credentials';
}

/** OpenID Connect Core §3.1.2.6: `prompt=none` and the person is not (usably) signed in. */
export class LoginRequired extends OAuthError {
  readonly status = 400;
  readonly code = 'login_required';
}

/** OpenID Connect Core §3.1.2.6: `prompt=none` and the person has not consented to these scopes. */
export class ConsentRequired extends OAuthError {
  readonly status = 400;
  readonly code = 'consent_required';
}

/** OpenID Connect Core §3.1.2.6: `prompt=none` and going on would need a page of some other kind. */
export class InteractionRequired extends OAuthError {
  readonly status = 400;
  readonly code = 'interaction_required';
}

/** OpenID Connect Core §3.1.2.6, §6: request objects are not supported (until PAR, SPEC §13). */
export class RequestNotSupported extends OAuthError {
  readonly status = 400;
  readonly code = 'request_not_supported';
}

/** OpenID Connect Core §3.1.2.6, §6: `request_uri` is not supported (until PAR, SPEC §13). */
export class RequestUriNotSupported extends OAuthError {
  readonly status = 400;
  readonly code = 'request_uri_not_supported';
}

/**
 * RFC 9101 §6.2 (used by RFC 9126 §4): the `request_uri` is unknown, expired, already used or was
 * pushed by another client.
 */
export class InvalidRequestUri extends OAuthError {
  readonly status = 400;
  readonly code = 'invalid_request_uri';
}

/**
 * RFC 8707 §2: a `resource` that is malformed, that this client may not ask for, or (at the token
 * endpoint) that the grant does not cover.
 */
export class InvalidTarget extends OAuthError {
  readonly status = 400;
  readonly code = 'invalid_target';
}
