import type { ValidationIssue } from './wire.js';

/**
 * An error answered by Latchkey (SPEC §3), or found by the library about an answer. `code` is the
 * wire code (`error` of the body, consumer API or RFC 6749 §5.2 alike); each code has its own
 * subclass, named as the code is, so callers can `instanceof InvalidRefreshToken`.
 */
export class LatchkeyError extends Error {
  /** The wire code (`invalid_refresh_token`, `invalid_grant`, …). */
  readonly code: string;
  /** The HTTP status (0 when no response was received). */
  readonly status: number;
  /** `X-Request-Id` of the response, to quote to support. */
  readonly requestId: string | undefined;
  /** The parsed body as received. */
  readonly body: unknown;

  constructor(code: string, message: string, options: { status?: number; requestId?: string; body?: unknown; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = ERROR_NAMES[code] ?? 'LatchkeyError';
    this.code = code;
    this.status = options.status ?? 0;
    this.requestId = options.requestId;
    this.body = options.body;
  }
}

/** 400 `validation_error` (seed 000): `issues` are the Valibot issues the server found. */
export class ValidationError extends LatchkeyError {
  get issues(): ValidationIssue[] {
    return (this.body as { issues?: ValidationIssue[] }).issues ?? [];
  }
}

/** 429 `rate_limit_exceeded`: `retryAfterSeconds` from the body (or the Retry-After header). */
export class RateLimitExceeded extends LatchkeyError {
  get retryAfterSeconds(): number {
    return Number((this.body as { retryAfter?: number }).retryAfter ?? 1);
  }
}

// Consumer API codes (SPEC §3, §5; src/protocol/errors.ts).
export class BadRequest extends LatchkeyError {}
export class AuthenticationRequired extends LatchkeyError {}
export class InvalidApiKey extends LatchkeyError {}
export class Forbidden extends LatchkeyError {}
export class InvalidExchangeCode extends LatchkeyError {}
export class ExchangeCodeExpired extends LatchkeyError {}
export class InvalidCodeVerifier extends LatchkeyError {}
export class InvalidRefreshToken extends LatchkeyError {}
export class NotFound extends LatchkeyError {}
export class MethodNotAllowed extends LatchkeyError {}
export class PayloadTooLarge extends LatchkeyError {}
export class ServiceUnavailable extends LatchkeyError {}
export class OtpInvalid extends LatchkeyError {}
export class OtpExpired extends LatchkeyError {}
export class DeliveryFailed extends LatchkeyError {}
export class InvalidSecondFactorToken extends LatchkeyError {}
export class InvalidCredentials extends LatchkeyError {}
export class InternalError extends LatchkeyError {}
// RFC 6749 §4.1.2.1 / §5.2, RFC 6750 §3.1, OpenID Connect Core §3.1.2.6 (src/protocol/oauth-errors.ts).
export class InvalidRequest extends LatchkeyError {}
export class InvalidClient extends LatchkeyError {}
export class InvalidGrant extends LatchkeyError {}
export class UnauthorizedClient extends LatchkeyError {}
export class UnsupportedGrantType extends LatchkeyError {}
export class InvalidScope extends LatchkeyError {}
export class UnsupportedResponseType extends LatchkeyError {}
export class AccessDenied extends LatchkeyError {}
export class InvalidToken extends LatchkeyError {}
export class InsufficientScope extends LatchkeyError {}
export class LoginRequired extends LatchkeyError {}
export class ConsentRequired extends LatchkeyError {}
export class InteractionRequired extends LatchkeyError {}
export class RequestNotSupported extends LatchkeyError {}
export class RequestUriNotSupported extends LatchkeyError {}
/** RFC 9449 §5, §8 (SPEC §13): a DPoP proof refused; the server's nonce is needed. */
export class InvalidDpopProof extends LatchkeyError {}
export class UseDpopNonce extends LatchkeyError {}
/** RFC 9126 §2.2 (a request_uri unknown, expired or used), RFC 8707 §2 (a resource not allowed). */
export class InvalidRequestUri extends LatchkeyError {}
export class InvalidTarget extends LatchkeyError {}
/** RFC 7591 §3.2.2: Dynamic Client Registration refused the metadata. */
export class InvalidRedirectUri extends LatchkeyError {}
export class InvalidClientMetadata extends LatchkeyError {}
/** Admin API (SPEC §10) and account state. */
export class InvalidInput extends LatchkeyError {}
export class Conflict extends LatchkeyError {}
export class TotpInvalid extends LatchkeyError {}
export class StepUpRequired extends LatchkeyError {}
export class RecoveryCodeInvalid extends LatchkeyError {}
export class ConsumerDisabled extends LatchkeyError {}
/** Passkeys (SPEC §12). */
export class PasskeyChallengeInvalid extends LatchkeyError {}
export class PasskeyInvalid extends LatchkeyError {}
export class PasskeyRegistrationFailed extends LatchkeyError {}
/** Found by this library, not by the server: an OAuth redirect or answer that fails its checks (bad `state` or `iss`). */
export class ResponseCheckFailed extends LatchkeyError {}
/** Found by this library: this page cannot run a passkey ceremony (no WebAuthn: an insecure origin, an old browser; or no conditional UI when it was asked for). */
export class WebauthnUnavailable extends LatchkeyError {}

type ErrorClass = new (...args: ConstructorParameters<typeof LatchkeyError>) => LatchkeyError;

/** Every wire code Latchkey answers, with its class (test/sdk-errors.test.ts keeps it equal to the server's list). */
export const ERROR_CLASSES = {
  validation_error: ValidationError,
  rate_limit_exceeded: RateLimitExceeded,
  bad_request: BadRequest,
  authentication_required: AuthenticationRequired,
  invalid_api_key: InvalidApiKey,
  forbidden: Forbidden,
  invalid_exchange_code: InvalidExchangeCode,
  exchange_code_expired: ExchangeCodeExpired,
  invalid_code_verifier: InvalidCodeVerifier,
  invalid_refresh_token: InvalidRefreshToken,
  not_found: NotFound,
  method_not_allowed: MethodNotAllowed,
  payload_too_large: PayloadTooLarge,
  service_unavailable: ServiceUnavailable,
  otp_invalid: OtpInvalid,
  otp_expired: OtpExpired,
  delivery_failed: DeliveryFailed,
  invalid_second_factor_token: InvalidSecondFactorToken,
  invalid_credentials: InvalidCredentials,
  internal_error: InternalError,
  invalid_request: InvalidRequest,
  invalid_client: InvalidClient,
  invalid_grant: InvalidGrant,
  unauthorized_client: UnauthorizedClient,
  unsupported_grant_type: UnsupportedGrantType,
  invalid_scope: InvalidScope,
  unsupported_response_type: UnsupportedResponseType,
  access_denied: AccessDenied,
  invalid_token: InvalidToken,
  insufficient_scope: InsufficientScope,
  login_required: LoginRequired,
  consent_required: ConsentRequired,
  interaction_required: InteractionRequired,
  request_not_supported: RequestNotSupported,
  request_uri_not_supported: RequestUriNotSupported,
  invalid_dpop_proof: InvalidDpopProof,
  use_dpop_nonce: UseDpopNonce,
  invalid_request_uri: InvalidRequestUri,
  invalid_target: InvalidTarget,
  invalid_redirect_uri: InvalidRedirectUri,
  invalid_client_metadata: InvalidClientMetadata,
  invalid_input: InvalidInput,
  conflict: Conflict,
  consumer_disabled: ConsumerDisabled,
  passkey_challenge_invalid: PasskeyChallengeInvalid,
  passkey_invalid: PasskeyInvalid,
  passkey_registration_failed: PasskeyRegistrationFailed,
  totp_invalid: TotpInvalid,
  step_up_required: StepUpRequired,
  recovery_code_invalid: RecoveryCodeInvalid,
} satisfies Record<string, ErrorClass>;

/** A wire error code of Latchkey. */
export type ErrorCode = keyof typeof ERROR_CLASSES;

// Class names survive minification only as strings: `name` comes from the code (invalid_grant → InvalidGrant).
const ERROR_NAMES: Record<string, string> = Object.fromEntries(
  [...Object.keys(ERROR_CLASSES), 'response_check_failed', 'webauthn_unavailable'].map((code) => [code, code.replace(/(?:^|_)(\w)/g, (_, c: string) => c.toUpperCase())]),
);

/**
 * The typed error of a non-2xx answer: the class of its `error` code, else a plain LatchkeyError
 * (`http_<status>` when the body has no code at all — a proxy's HTML page, say).
 */
export function errorFromResponse(status: number, body: unknown, requestId?: string): LatchkeyError {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; message?: unknown; error_description?: unknown };
  const code = typeof fields.error === 'string' ? fields.error : `http_${status}`;
  const message = typeof fields.message === 'string' ? fields.message : typeof fields.error_description === 'string' ? fields.error_description : `${code} (HTTP ${status})`;
  const Class: ErrorClass = (ERROR_CLASSES as Record<string, ErrorClass>)[code] ?? LatchkeyError;
  return new Class(code, message, { status, body, ...(requestId ? { requestId } : {}) });
}
