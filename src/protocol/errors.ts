/**
 * Every error a client can see, one class per wire code (SPEC §3). Flows and middleware throw these;
 * `http/error-response.ts` is the only place that turns them into a response. `cause` is private:
 * it is logged with the request id and never serialized.
 */
export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** Extra response headers (e.g. WWW-Authenticate, Retry-After). */
  headers: Record<string, string> = {};

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  /** The JSON body; subclasses with a different shape override it. */
  toBody(): Record<string, unknown> {
    return { error: this.code, message: this.message };
  }
}

/** A Valibot issue as sent on the wire (SPEC §3): the library's own object, secrets redacted. */
export type WireIssue = Record<string, unknown> & {
  kind: string;
  type: string;
  expected: string;
  received: string;
  message: string;
  path: Array<Record<string, unknown>>;
};

/** 400: the body or query did not match its schema (seed 000). */
export class ValidationError extends ApiError {
  readonly status = 400;
  readonly code = 'validation_error';
  constructor(readonly issues: WireIssue[]) {
    super('request validation failed');
  }
  override toBody() {
    return { error: this.code, issues: this.issues };
  }
}

/** 400: a body that cannot be read at all (a broken multipart form), or a form field of bad text (issue 11.4). */
export class BadRequest extends ApiError {
  readonly status = 400;
  readonly code = 'bad_request';
}

/** 401: no credential was sent, or a consumer token is invalid, expired or revoked (SPEC §2). */
export class AuthenticationRequired extends ApiError {
  readonly status = 401;
  readonly code = 'authentication_required';
}

/** 401: a publishable or secret key that no application has (SPEC §2). */
export class InvalidApiKey extends ApiError {
  readonly status = 401;
  readonly code = 'invalid_api_key';
}

/** 403: a valid credential of the wrong kind, or keys of two different applications (SPEC §2). */
export class Forbidden extends ApiError {
  readonly status = 403;
  readonly code = 'forbidden';
}

/** 400: the exchange code is unknown, already used, or minted by another application (SPEC §5.2). */
export class InvalidExchangeCode extends ApiError {
  readonly status = 400;
  readonly code = 'invalid_exchange_code';
}

/** 400: the exchange code's 60 seconds are over (SPEC §5.2). */
export class ExchangeCodeExpired extends ApiError {
  readonly status = 400;
  readonly code = 'exchange_code_expired';
}

/** 400: the code was minted with a `codeChallenge` and the `codeVerifier` is missing or wrong (SPEC §5.1). */
export class InvalidCodeVerifier extends ApiError {
  readonly status = 400;
  readonly code = 'invalid_code_verifier';
}

/** 401: the refresh token is unknown, expired, revoked or was replayed (SPEC §5.5). */
export class InvalidRefreshToken extends ApiError {
  readonly status = 401;
  readonly code = 'invalid_refresh_token';
}

/** 404: no route matches. */
export class NotFound extends ApiError {
  readonly status = 404;
  readonly code = 'not_found';
}

/** 405: the path exists but not with this method. */
export class MethodNotAllowed extends ApiError {
  readonly status = 405;
  readonly code = 'method_not_allowed';
}

/** 413: the body is over the configured limit. */
export class PayloadTooLarge extends ApiError {
  readonly status = 413;
  readonly code = 'payload_too_large';
}


/** 503: a dependency (the store) is unreachable; used by readiness. */
export class ServiceUnavailable extends ApiError {
  readonly status = 503;
  readonly code = 'service_unavailable';
}

/** 401: the one-time passcode is wrong (SPEC §5.4). */
export class OtpInvalid extends ApiError {
  readonly status = 401;
  readonly code = 'otp_invalid';
}

/** 401: no usable code: expired, used, burnt by too many wrong tries, or never requested (SPEC §5.4). */
export class OtpExpired extends ApiError {
  readonly status = 401;
  readonly code = 'otp_expired';
}

/** 502: the email or SMS could not be handed to its provider; no usable code was left behind. */
export class DeliveryFailed extends ApiError {
  readonly status = 502;
  readonly code = 'delivery_failed';
}

/** 429 with the body and the four headers of SPEC §3. */
export class RateLimited extends ApiError {
  readonly status = 429;
  readonly code = 'rate_limit_exceeded';
  readonly retryAfterSeconds: number;

  constructor(message: string, limit: { points: number; remaining: number; retryAfterSeconds: number; resetAtMs: number }) {
    super(message);
    this.retryAfterSeconds = Math.max(1, Math.ceil(limit.retryAfterSeconds));
    this.headers = {
      'Retry-After': String(this.retryAfterSeconds),
      'X-RateLimit-Limit': String(limit.points),
      'X-RateLimit-Remaining': String(Math.max(0, limit.remaining)),
      // Unix time (seconds) at which the window resets, as GitHub and most APIs send it.
      'X-RateLimit-Reset': String(Math.ceil(limit.resetAtMs / 1000)),
    };
  }

  override toBody() {
    return { error: this.code, message: this.message, retryAfter: this.retryAfterSeconds };
  }
}

/**
 * 401: the second-factor token of a pending sign-in (SPEC §12) is unknown, expired, already used
 * or of another application: the sign-in starts over.
 */
export class InvalidSecondFactorToken extends ApiError {
  readonly status = 401;
  readonly code = 'invalid_second_factor_token';
}

/**
 * 401: the authenticator-app code is wrong, or of a time step already used (SPEC §12; RFC 6238 §5.2
 * forbids accepting a code twice).
 */
export class TotpInvalid extends ApiError {
  readonly status = 401;
  readonly code = 'totp_invalid';
}

/**
 * 403: the change (registering a passkey) would give a way around the person's second factor, so it
 * needs a current proof of that factor — `code` (SMS), `totpCode` or `recoveryCode` — not only a
 * session (SPEC §12).
 */
export class StepUpRequired extends ApiError {
  readonly status = 403;
  readonly code = 'step_up_required';
}

/** 401: the recovery code is not one of the person's, or was already used (SPEC §12). */
export class RecoveryCodeInvalid extends ApiError {
  readonly status = 401;
  readonly code = 'recovery_code_invalid';
}

/** 401 on the admin API (SPEC §10): the admin token is unknown or revoked (RFC 6750 §3.1 `invalid_token`). */
export class InvalidToken extends ApiError {
  readonly status = 401;
  readonly code = 'invalid_token';
}

/** 400 on the admin API: a well-formed request that asks for something impossible (an unknown organization, a bad logo URL). */
export class InvalidInput extends ApiError {
  readonly status = 400;
  readonly code = 'invalid_input';
}

/** 409 on the admin API: the change collides with what exists (an organization name that is taken). */
export class Conflict extends ApiError {
  readonly status = 409;
  readonly code = 'conflict';
}

/**
 * 403: the person's account was disabled by an operator (SPEC §10): every sign-in is refused until
 * it is enabled again. Answered only once the credential itself was right, so it tells nothing to
 * whoever does not already hold one.
 */
export class ConsumerDisabled extends ApiError {
  readonly status = 403;
  readonly code = 'consumer_disabled';
}

/**
 * 400: the challenge of a passkey ceremony (SPEC §12) is unknown, used, expired (5 minutes), of
 * another application or of the other ceremony: ask for new options and start over.
 */
export class PasskeyChallengeInvalid extends ApiError {
  readonly status = 400;
  readonly code = 'passkey_challenge_invalid';
}

/**
 * 401: a passkey sign-in was refused (SPEC §12): the credential is not registered here, its
 * signature, origin or relying party did not verify, or its signature counter went backwards (a
 * cloned authenticator). The challenge is spent either way.
 */
export class PasskeyInvalid extends ApiError {
  readonly status = 401;
  readonly code = 'passkey_invalid';
}

/** 400: a passkey registration did not verify, or the credential is registered already (SPEC §12). */
export class PasskeyRegistrationFailed extends ApiError {
  readonly status = 400;
  readonly code = 'passkey_registration_failed';
}
