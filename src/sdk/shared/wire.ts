/**
 * The wire types of the API, inferred from the very valibot schemas the server validates and
 * documents with (src/http/schemas/). Type-only imports: nothing of the server reaches a bundle,
 * and there is no hand-kept copy that could drift (issue 16).
 */
import type * as v from 'valibot';
import type { ErrorBody, RateLimitedBody, ValidationErrorBody } from '../../http/schemas/common.js';
import type { ExternalAuthorizeRequest, ExternalAuthorizeResponse, ExternalExchangeRequest } from '../../http/schemas/external.js';
import type { LoginRequest, LoginResponse } from '../../http/schemas/login.js';
import type { AuthorizeResponseBody, InitiateResponse, OAuthErrorBody, TokenResponseBody } from '../../http/schemas/oauth.js';
import type { OtpRequestBody, OtpVerifyBody } from '../../http/schemas/otp.js';
import type { PasskeyBody, PasskeyOptionsBody } from '../../http/schemas/passkeys.js';
import type {
  RecoveryCodesBody, SecondFactorListBody, SecondFactorRequiredBody, SecondFactorVerifyBody, TotpConfirmedBody, TotpEnrollmentBody,
} from '../../http/schemas/second-factor.js';
import type { AuthSessionBody, ConsumerProfileBody, RefreshResponse } from '../../http/schemas/sessions.js';

/** SPEC §5.1 request: the identity the business's backend vouches for. */
export type ExternalIdentity = v.InferInput<typeof ExternalAuthorizeRequest>;
/** SPEC §5.1 response. */
export type ExchangeCodeResponse = v.InferOutput<typeof ExternalAuthorizeResponse>;
/** SPEC §5.2 request. */
export type ExchangeRequest = v.InferInput<typeof ExternalExchangeRequest>;
/** SPEC §5 AuthSession. */
export type AuthSession = v.InferOutput<typeof AuthSessionBody>;
/** SPEC §5.5 response. */
export type RefreshedTokens = v.InferOutput<typeof RefreshResponse>;
/** SPEC §5.4 request body (exactly one of `email`, `phone`). */
export type OtpRequest = v.InferInput<typeof OtpRequestBody>;
/** SPEC §5.4 verify body. */
export type OtpVerify = v.InferInput<typeof OtpVerifyBody>;
/** SPEC §12: what `/auth/otp/verify` answers when the account has a second factor. */
export type SecondFactorRequired = v.InferOutput<typeof SecondFactorRequiredBody>;
/** SPEC §12: `/auth/second-factor/verify` body. */
export type SecondFactorVerify = v.InferInput<typeof SecondFactorVerifyBody>;
/** SPEC §12: a passkey as the APIs show it (never its public key). */
export type Passkey = v.InferOutput<typeof PasskeyBody>;
/** SPEC §12: the options of a WebAuthn ceremony (PublicKeyCredential{Request,Creation}OptionsJSON) and when its challenge dies. */
export type PasskeyOptions = v.InferOutput<typeof PasskeyOptionsBody>;
/** SPEC §12: a started authenticator-app enrollment (secret, otpauth:// URI, QR code as SVG), shown once. */
export type TotpEnrollment = v.InferOutput<typeof TotpEnrollmentBody>;
/** SPEC §12: the confirmed enrollment — the ten recovery codes, shown once. */
export type TotpConfirmed = v.InferOutput<typeof TotpConfirmedBody>;
/** SPEC §12: new recovery codes, shown once. */
export type RecoveryCodes = v.InferOutput<typeof RecoveryCodesBody>;
/** SPEC §12: the signed-in person's second factors. */
export type SecondFactorList = v.InferOutput<typeof SecondFactorListBody>;
/** SPEC §5.7 response. */
export type ConsumerProfile = v.InferOutput<typeof ConsumerProfileBody>;
/** SPEC §6.2 request and response. */
export type PasswordLogin = v.InferInput<typeof LoginRequest>;
export type LoginResult = v.InferOutput<typeof LoginResponse>;
/** SPEC §6.1 (`mode=api`), §6.3 and §6.4 responses. */
export type AuthorizationSession = v.InferOutput<typeof InitiateResponse>;
export type AuthorizeResult = v.InferOutput<typeof AuthorizeResponseBody>;
export type TokenResponse = v.InferOutput<typeof TokenResponseBody>;

/** SPEC §3 error bodies. */
export type ApiErrorBody = v.InferOutput<typeof ErrorBody>;
export type ValidationErrorBodyType = v.InferOutput<typeof ValidationErrorBody>;
export type RateLimitedBodyType = v.InferOutput<typeof RateLimitedBody>;
export type OAuthErrorBodyType = v.InferOutput<typeof OAuthErrorBody>;
/** One Valibot issue as the API sends it (SPEC §3, seed 000). */
export type ValidationIssue = ValidationErrorBodyType['issues'][number];
