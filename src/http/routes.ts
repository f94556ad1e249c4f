import type { Handler } from 'hono';
import * as v from 'valibot';
import type { FlowDeps } from '../flows/deps.js';
import type { AppEnv } from './env.js';
import type { Route } from './route.js';
import { consumersMe } from './handlers/consumers-me.js';
import { externalAuthorize } from './handlers/external-authorize.js';
import { externalExchange } from './handlers/external-exchange.js';
import { guest } from './handlers/guest.js';
import { healthz, readyz, type RateLimitHealth } from './handlers/health.js';
import { jwks } from './handlers/jwks.js';
import { login, loginLogout, loginOtp } from './handlers/login.js';
import { logout } from './handlers/logout.js';
import { oauthMetadata, openIdMetadata } from './handlers/metadata.js';
import { clientRegistrationFeatures } from '../flows/oauth/client-metadata-documents.js';
import { oauthAuthorize } from './handlers/oauth-authorize.js';
import { oauthInitiate } from './handlers/oauth-initiate.js';
import { registrationRoutes } from './handlers/oauth-register.js';
import { oauthIntrospect } from './handlers/oauth-introspect.js';
import { oauthPushedAuthorization } from './handlers/oauth-par.js';
import { oauthRevoke, oauthRevokeGrant } from './handlers/oauth-revoke.js';
import { oauthToken } from './handlers/oauth-token.js';
import { oauthUserInfo } from './handlers/oauth-userinfo.js';
import { consumerTokenHolder, loginTokenHolder, passkeyLogin, passkeyManagement, passkeyOptions, passkeyVerify } from './handlers/passkeys.js';
import { user } from './handlers/user.js';
import { requireBearer, requireClientKey } from './oauth/middleware.js';
import { endSessionHandlers } from './hosted/end-session.js';
import { hostedHandlers } from './hosted/handlers.js';
import { hostedCss, passkeyScript, themeStylesheet } from './handlers/assets.js';
import { accountHandlers } from './hosted/account.js';
import { LoginOtpRequest, LoginRequest, LoginResponse, SuccessBody } from './schemas/login.js';
import {
  AuthorizeRequestBody, AuthorizeResponseBody, InitiateQuery, InitiateResponse, IntrospectionBody, OAuthErrorBody,
  PushedAuthorizationRequestBody, PushedAuthorizationResponseBody, TokenParamBody, TokenRequestBody, TokenResponseBody, UserBody,
} from './schemas/oauth.js';
import { openApiDocument } from './handlers/openapi.js';
import { docsPage } from './handlers/docs.js';
import { landingPage } from './handlers/landing.js';
import { buildOpenApi } from './openapi.js';
import { LATCHKEY_VERSION } from '../config/version.js';
import { otpRequest } from './handlers/otp-request.js';
import { otpVerify } from './handlers/otp-verify.js';
import { refresh } from './handlers/refresh.js';
import { secondFactorRequest } from './handlers/second-factor-request.js';
import { secondFactorVerify } from './handlers/second-factor-verify.js';
import { consumerTokenOwner, loginTokenOwner } from './handlers/second-factors.js';
import { secondFactorRoutes } from './second-factor-routes.js';
import { browserCors } from './middleware/cors.js';
import { acceptGuestToken, requireConsumerToken, requirePublishableKey, requireSecretKey } from './middleware/credentials.js';
import { pathParamChecks } from './middleware/path-params.js';
import { limitPerApplication, limitPerIp, limitUrlClientIdsPerIp } from './middleware/rate-limit.js';
import { ErrorBody, InternalErrorBody, RateLimitedBody, ValidationErrorBody } from './schemas/common.js';
import { EndSessionConfirmForm, EndSessionParams } from './schemas/end-session.js';
import { ExternalAuthorizeRequest, ExternalAuthorizeResponse, ExternalExchangeRequest } from './schemas/external.js';
import { OkBody, OtpRequestBody, OtpVerifyBody } from './schemas/otp.js';
import { UserInfoBody, UserInfoFormBody } from './schemas/userinfo.js';
import { SecondFactorRequestBody, SecondFactorRequiredBody, SecondFactorVerifyBody } from './schemas/second-factor.js';
import {
  PasskeyBody, PasskeyListBody, PasskeyLoginBody, PasskeyOptionsBody, PasskeyRegistrationBody, PasskeyRenameBody, PasskeySignInBody,
} from './schemas/passkeys.js';
import { AuthSessionBody, ConsumerProfileBody, RefreshRequest, RefreshResponse } from './schemas/sessions.js';

const validationError = { description: 'Bad Request - Invalid input schema', schema: ValidationErrorBody };
// SPEC §13, RFC 9449: a session-starting request with a DPoP header that is refused (or none, when the application requires it).
const dpopProofRefused = { description: 'invalid_dpop_proof: the DPoP proof is invalid, or the application requires one', schema: ErrorBody };
const validationOrDpopError = { description: 'validation_error / invalid_dpop_proof (RFC 9449: a DPoP header binds the session)', schema: v.union([ValidationErrorBody, ErrorBody]) };
const unauthorized = { description: 'Unauthorized - Authentication required', schema: ErrorBody };
const forbidden = { description: 'Forbidden - Wrong kind of credential', schema: ErrorBody };
/** SPEC §10: a consumer an operator disabled signs in nowhere. */
const forbiddenOrDisabled = { description: 'forbidden (wrong kind of credential) / consumer_disabled (the person was disabled by an operator)', schema: ErrorBody };
const internalError = { description: 'Internal server error', schema: InternalErrorBody };
const rateLimited = { description: 'Too many requests (Retry-After and X-RateLimit-* headers)', schema: RateLimitedBody };

/**
 * THE ROUTE TABLE. Every path, its method, the middleware that runs before its handler (in order)
 * and its OpenAPI description. Global middleware (request id, access log, body limit, security
 * headers, error serialization) is applied in app.ts, before any of these.
 */
export function buildRoutes(deps: FlowDeps, options: { jwksMaxAgeSeconds: number; trustedProxyHops: number; rateLimitHealth: RateLimitHealth }): Route[] {
  const secretKey = requireSecretKey(deps);
  const publishableKey = requirePublishableKey(deps);
  const consumerToken = requireConsumerToken(deps);
  const cors = browserCors(deps);
  const guestToken = acceptGuestToken(deps);
  const perIp = (name: Parameters<typeof limitPerIp>[1]) => limitPerIp(deps, name, options.trustedProxyHops);
  const urlClientIdsPerIp = limitUrlClientIdsPerIp(deps, 'metadataDocumentPerIp', options.trustedProxyHops);
  const hosted = hostedHandlers(deps, options);

  const routes: Route[] = [
    {
      method: 'POST', path: '/auth/external/authorize', isBrowserFacing: false,
      middleware: [secretKey, limitPerApplication(deps, 'externalAuthorizePerApplication')], handler: externalAuthorize(deps),
      doc: {
        operationId: 'postAuthExternalAuthorize', tag: 'Auth', credential: 'secretKey',
        summary: 'Create a one-time exchange code for an external identity (server-to-server)',
        requestBody: ExternalAuthorizeRequest,
        responses: {
          200: { description: 'Exchange code created', schema: ExternalAuthorizeResponse },
          400: validationError, 401: unauthorized, 403: { ...forbidden, description: 'Forbidden - User must be authenticated / consumer_disabled (the person was disabled by an operator)' }, 429: rateLimited, 500: internalError,
        },
      },
    },
    {
      method: 'POST', path: '/auth/external/exchange', isBrowserFacing: true,
      middleware: [cors, publishableKey, guestToken], handler: externalExchange(deps),
      doc: {
        operationId: 'postAuthExternalExchange', tag: 'Auth', credential: 'publishableKey',
        summary: 'Redeem an exchange code for an authenticated session (a guest access token sent along is linked)',
        requestBody: ExternalExchangeRequest,
        responses: {
          200: { description: 'Session started', schema: AuthSessionBody },
          400: { description: 'validation_error, or invalid_exchange_code / exchange_code_expired / invalid_code_verifier / invalid_dpop_proof (RFC 9449: a DPoP header binds the session)', schema: v.union([ValidationErrorBody, ErrorBody]) },
          401: unauthorized, 403: forbiddenOrDisabled, 500: internalError,
        },
      },
    },
    {
      method: 'POST', path: '/auth/guest', isBrowserFacing: true,
      middleware: [cors, publishableKey, perIp('guestPerIp')], handler: guest(deps),
      doc: {
        operationId: 'postAuthGuest', tag: 'Auth', credential: 'publishableKey',
        summary: 'Start a guest session',
        responses: {
          200: { description: 'Guest session started', schema: AuthSessionBody }, 400: dpopProofRefused, 401: unauthorized, 403: forbidden, 429: rateLimited, 500: internalError,
        },
      },
    },
    {
      method: 'POST', path: '/auth/otp/request', isBrowserFacing: true,
      middleware: [cors, publishableKey, perIp('otpRequestPerIp')], handler: otpRequest(deps),
      doc: {
        operationId: 'postAuthOtpRequest', tag: 'Auth', credential: 'publishableKey',
        summary: 'Send a one-time passcode by email or SMS (same answer whether or not the address is known)',
        requestBody: OtpRequestBody,
        responses: {
          200: { description: 'Code sent', schema: OkBody }, 400: validationError, 401: unauthorized, 403: forbidden,
          429: rateLimited, 500: internalError, 502: { description: 'delivery_failed: no usable code was left', schema: ErrorBody },
        },
      },
    },
    {
      method: 'POST', path: '/auth/otp/verify', isBrowserFacing: true,
      middleware: [cors, publishableKey, guestToken], handler: otpVerify(deps),
      doc: {
        operationId: 'postAuthOtpVerify', tag: 'Auth', credential: 'publishableKey',
        summary: 'Verify a one-time passcode and sign in (a guest access token sent along is linked); an account with a second factor answers secondFactorRequired instead',
        requestBody: OtpVerifyBody,
        responses: {
          200: { description: 'Signed in; or, when the account has a second factor (authenticator app and/or SMS; SPEC §12), the pending state: no session until /auth/second-factor/verify', schema: v.union([AuthSessionBody, SecondFactorRequiredBody]) },
          400: validationOrDpopError,
          401: { description: 'otp_invalid / otp_expired / authentication_required / invalid_api_key', schema: ErrorBody },
          403: forbiddenOrDisabled, 429: rateLimited, 500: internalError,
        },
      },
    },
    {
      method: 'POST', path: '/auth/second-factor/request', isBrowserFacing: true,
      middleware: [cors, publishableKey, perIp('otpRequestPerIp')], handler: secondFactorRequest(deps),
      doc: {
        operationId: 'postAuthSecondFactorRequest', tag: 'Auth', credential: 'publishableKey',
        summary: 'Send the SMS code of a pending sign-in (secondFactorToken from /auth/otp/verify) to the account\'s phone',
        requestBody: SecondFactorRequestBody,
        responses: {
          200: { description: 'Code sent', schema: OkBody }, 400: validationError,
          401: { description: 'invalid_second_factor_token (invalid, expired, used, or of another application) / authentication_required / invalid_api_key', schema: ErrorBody },
          403: forbidden, 429: rateLimited, 500: internalError, 502: { description: 'delivery_failed: no usable code was left', schema: ErrorBody },
        },
      },
    },
    {
      method: 'POST', path: '/auth/second-factor/verify', isBrowserFacing: true,
      // Per IP as every sign-in step: recovery codes are not counted per person (see totp-proof.ts).
      middleware: [cors, publishableKey, perIp('loginPerIp'), guestToken], handler: secondFactorVerify(deps),
      doc: {
        operationId: 'postAuthSecondFactorVerify', tag: 'Auth', credential: 'publishableKey',
        summary: 'Complete a pending sign-in with exactly one of: the SMS code (code), the authenticator app\'s code (totpCode), a recovery code (recoveryCode) — single use; the guest sent with /auth/otp/verify, or with this request, is linked',
        requestBody: SecondFactorVerifyBody,
        responses: {
          200: { description: 'Signed in', schema: AuthSessionBody },
          400: { description: 'validation_error / bad_request (a factor this person does not have)', schema: v.union([ValidationErrorBody, ErrorBody]) },
          401: { description: 'invalid_second_factor_token / otp_invalid / otp_expired / totp_invalid / recovery_code_invalid / authentication_required / invalid_api_key', schema: ErrorBody },
          403: forbiddenOrDisabled, 429: rateLimited, 500: internalError,
        },
      },
    },
    {
      method: 'POST', path: '/auth/refresh', isBrowserFacing: true,
      middleware: [cors, publishableKey], handler: refresh(deps),
      doc: {
        operationId: 'postAuthRefresh', tag: 'Auth', credential: 'publishableKey',
        summary: 'Rotate a refresh token and get a fresh access token',
        requestBody: RefreshRequest,
        responses: {
          200: { description: 'Tokens refreshed', schema: RefreshResponse },
          400: validationOrDpopError,
          401: { description: 'authentication_required / invalid_api_key / invalid_refresh_token', schema: ErrorBody },
          403: forbidden, 500: internalError,
        },
      },
    },
    {
      method: 'POST', path: '/auth/logout', isBrowserFacing: true,
      middleware: [cors, consumerToken], handler: logout(deps),
      doc: {
        operationId: 'postAuthLogout', tag: 'Auth', credential: 'consumerToken',
        summary: 'End the session of this access token and revoke its refresh tokens',
        responses: { 204: { description: 'Session ended' }, 401: unauthorized, 403: forbidden, 500: internalError },
      },
    },
    {
      method: 'GET', path: '/consumers/me', isBrowserFacing: true,
      middleware: [cors, consumerToken], handler: consumersMe(deps),
      doc: {
        operationId: 'getConsumersMe', tag: 'Consumers', credential: 'consumerToken',
        summary: 'The signed-in consumer',
        responses: { 200: { description: 'The consumer', schema: ConsumerProfileBody }, 401: unauthorized, 403: forbidden, 500: internalError },
      },
    },
    // SPEC §13, RFC 7591: Dynamic Client Registration.
    ...registrationRoutes(deps, perIp('registrationPerIp')),
    ...passkeyConsumerRoutes(deps, { cors, publishableKey, guestToken, consumerToken, loginPerIp: perIp('loginPerIp'), changesPerIp: perIp('accountChangesPerIp') }),
    ...secondFactorRoutes(deps, { prefix: '/consumers/me', tag: 'Consumers', credential: 'consumerToken', middleware: [cors, consumerToken], changesPerIp: perIp('accountChangesPerIp'), ownerOf: consumerTokenOwner, operation: 'ConsumersMe' }),
    {
      method: 'GET', path: '/v1/auth/oauth/authorize/initiate', isBrowserFacing: true,
      middleware: [cors, urlClientIdsPerIp], handler: oauthInitiate(deps),
      doc: {
        operationId: 'getOAuthAuthorizeInitiate', tag: 'OAuth', summary: 'Step 1: start an authorization request (mode=api → JSON, else 302 to the hosted page)',
        query: InitiateQuery,
        responses: {
          200: { description: 'mode=api (or Accept: application/json): the authorization session', schema: InitiateResponse },
          302: { description: 'Hosted mode: to the hosted page; or, for errors found after the client and redirect URI were verified, to redirect_uri with error (invalid_request, invalid_scope, invalid_target, unsupported_response_type, request_not_supported, request_uri_not_supported), error_description, state (when sent), iss' },
          400: { description: 'invalid_request (unknown client, unregistered redirect_uri, repeated parameter; in API mode every error) / invalid_request_uri (a request_uri unknown, expired, used or of another client)', schema: OAuthErrorBody },
          429: { description: 'Too many requests with a URL as client_id from this network (LATCHKEY_RATE_LIMIT_METADATA_DOCUMENT_PER_IP)', schema: RateLimitedBody },
        },
      },
    },
    {
      method: 'POST', path: '/v1/auth/oauth/authorize/initiate', isBrowserFacing: true,
      middleware: [cors, urlClientIdsPerIp], handler: oauthInitiate(deps),
      doc: {
        operationId: 'postOAuthAuthorizeInitiate', tag: 'OAuth', summary: 'Step 1 with a form body, exactly like GET (OpenID Connect Core §3.1.2.1); redirects are 303',
        requestBody: InitiateQuery, requestTypes: ['application/x-www-form-urlencoded'],
        responses: {
          200: { description: 'mode=api (or Accept: application/json): the authorization session', schema: InitiateResponse },
          303: { description: 'Hosted mode: to the hosted page; or, for errors found after the client and redirect URI were verified, to redirect_uri with error (invalid_request, invalid_scope, invalid_target, unsupported_response_type, request_not_supported, request_uri_not_supported), error_description, state (when sent), iss' },
          400: { description: 'invalid_request (unknown client, unregistered redirect_uri, repeated parameter; in API mode every error) / invalid_request_uri (a request_uri unknown, expired, used or of another client)', schema: OAuthErrorBody },
          429: { description: 'Too many requests with a URL as client_id from this network (LATCHKEY_RATE_LIMIT_METADATA_DOCUMENT_PER_IP)', schema: RateLimitedBody },
        },
      },
    },
    ...hostedRoutes(hosted, deps, options),
    ...endSessionRoutes(deps),
    {
      method: 'POST', path: '/v1/auth/login', isBrowserFacing: true,
      middleware: [cors, publishableKey, perIp('loginPerIp')], handler: login(deps),
      doc: {
        operationId: 'postLogin', tag: 'Users', credential: 'clientKey', summary: 'Step 2: sign a user in with email and password (and the second factor: otpCode, totpCode or recoveryCode)',
        requestBody: LoginRequest,
        responses: {
          200: { description: 'Signed in, or isOtpRequired', schema: LoginResponse }, 400: validationError,
          401: { description: 'invalid_credentials (the same for an unknown email) / totp_invalid / recovery_code_invalid / authentication_required / invalid_api_key', schema: ErrorBody },
          403: { description: 'consumer_disabled: the right password of a person an operator disabled', schema: ErrorBody },
          429: { ...rateLimited, description: 'Too many attempts: the account is locked for a while' }, 500: internalError,
        },
      },
    },
    {
      method: 'POST', path: '/v1/auth/login/otp', isBrowserFacing: true,
      // Issue 11.6: a resend refused by the cooldown is charged to the caller's IP, never to the phone.
      middleware: [cors, publishableKey, perIp('otpRequestPerIp')], handler: loginOtp(deps),
      doc: {
        operationId: 'postLoginOtp', tag: 'Users', credential: 'clientKey', summary: 'Send the second-factor code to the user\'s phone',
        requestBody: LoginOtpRequest,
        responses: { 200: { description: 'Sent (the same answer for any userId)', schema: SuccessBody }, 400: validationError, 401: unauthorized, 429: rateLimited, 502: { description: 'delivery_failed', schema: ErrorBody } },
      },
    },
    ...passkeyApiModeRoutes(deps, { cors, publishableKey, loginPerIp: perIp('loginPerIp'), changesPerIp: perIp('accountChangesPerIp') }),
    {
      method: 'POST', path: '/v1/auth/logout', isBrowserFacing: true,
      middleware: [cors, requireBearer(deps, ['login'])], handler: loginLogout(deps),
      doc: {
        operationId: 'postLogout', tag: 'Users', credential: 'loginToken', summary: 'End a login token at once',
        responses: { 200: { description: 'Logged out', schema: SuccessBody }, 401: { description: 'invalid_token', schema: OAuthErrorBody } },
      },
    },
    ...secondFactorRoutes(deps, { prefix: '/v1/user', tag: 'Users', credential: 'loginToken', middleware: [cors, requireBearer(deps, ['login'])], changesPerIp: perIp('accountChangesPerIp'), ownerOf: loginTokenOwner, operation: 'User' }),
    {
      method: 'POST', path: '/v1/auth/oauth/authorize', isBrowserFacing: true,
      middleware: [cors, requireClientKey(deps), requireBearer(deps, ['login'])], handler: oauthAuthorize(deps),
      doc: {
        operationId: 'postOAuthAuthorize', tag: 'OAuth', credential: 'loginToken', summary: 'Step 3 (seed 001): generate the authorization code',
        requestBody: AuthorizeRequestBody,
        responses: {
          200: { description: 'The redirect URL with code, state and iss', schema: AuthorizeResponseBody },
          400: { description: 'invalid_request / invalid_grant (session token invalid, expired, used, of another client or organization) / login_required (the login token cannot answer prompt=login, max_age or id_token_hint)', schema: OAuthErrorBody },
          401: { description: 'invalid_client (x-client-key) / invalid_token (login token)', schema: OAuthErrorBody },
        },
      },
    },
    {
      method: 'POST', path: '/v1/auth/oauth/token', isBrowserFacing: true,
      middleware: [cors], handler: oauthToken(deps),
      doc: {
        operationId: 'postOAuthToken', tag: 'OAuth', credential: 'clientAuth', summary: 'Step 4: authorization_code, refresh_token and client_credentials grants',
        requestBody: TokenRequestBody, requestTypes: ['application/x-www-form-urlencoded', 'application/json'],
        responses: {
          200: { description: 'Tokens (Cache-Control: no-store)', schema: TokenResponseBody },
          400: { description: 'invalid_request / invalid_grant / unauthorized_client / unsupported_grant_type / invalid_scope / invalid_target (RFC 8707) / invalid_dpop_proof / use_dpop_nonce (RFC 9449: with a DPoP-Nonce header)', schema: OAuthErrorBody },
          401: { description: 'invalid_client', schema: OAuthErrorBody },
        },
      },
    },
    {
      method: 'POST', path: '/v1/auth/oauth/par', isBrowserFacing: true,
      middleware: [cors], handler: oauthPushedAuthorization(deps),
      doc: {
        operationId: 'postOAuthPar', tag: 'OAuth', credential: 'clientAuth',
        summary: 'RFC 9126 pushed authorization request: the parameters of step 1, checked the same way; answers a single-use request_uri (60 s) for step 1',
        requestBody: PushedAuthorizationRequestBody, requestTypes: ['application/x-www-form-urlencoded', 'application/json'],
        responses: {
          201: { description: 'Stored (Cache-Control: no-store)', schema: PushedAuthorizationResponseBody },
          400: { description: 'invalid_request (also request_uri sent, unregistered redirect_uri, malformed dpop_jkt) / invalid_scope / invalid_target (RFC 8707) / unsupported_response_type / request_not_supported / invalid_dpop_proof (RFC 9449 §10.1: a bad DPoP proof, or one by another key than dpop_jkt)', schema: OAuthErrorBody },
          401: { description: 'invalid_client', schema: OAuthErrorBody },
        },
      },
    },
    {
      method: 'POST', path: '/v1/auth/oauth/revoke', isBrowserFacing: true,
      middleware: [cors], handler: oauthRevoke(deps),
      doc: {
        operationId: 'postOAuthRevoke', tag: 'OAuth', credential: 'clientAuth', summary: 'RFC 7009 token revocation',
        requestBody: TokenParamBody, requestTypes: ['application/x-www-form-urlencoded', 'application/json'],
        responses: { 200: { description: 'Revoked, or nothing to revoke' }, 400: { description: 'invalid_request', schema: OAuthErrorBody }, 401: { description: 'invalid_client', schema: OAuthErrorBody } },
      },
    },
    {
      method: 'DELETE', path: '/v1/auth/oauth/revoke', isBrowserFacing: true,
      middleware: [cors, requireClientKey(deps), requireBearer(deps, ['oauth'])], handler: oauthRevokeGrant(deps),
      doc: {
        operationId: 'deleteOAuthRevoke', tag: 'OAuth', credential: 'oauthToken', summary: 'Revoke every token of this application for the token\'s user',
        responses: { 200: { description: 'Revoked', schema: SuccessBody }, 401: { description: 'invalid_client / invalid_token', schema: OAuthErrorBody } },
      },
    },
    {
      method: 'POST', path: '/v1/auth/oauth/introspect', isBrowserFacing: false,
      middleware: [], handler: oauthIntrospect(deps),
      doc: {
        operationId: 'postOAuthIntrospect', tag: 'OAuth', credential: 'clientAuth', summary: 'RFC 7662 token introspection (confidential clients)',
        requestBody: TokenParamBody, requestTypes: ['application/x-www-form-urlencoded', 'application/json'],
        responses: { 200: { description: 'Active, or exactly { active: false }', schema: IntrospectionBody }, 400: { description: 'invalid_request', schema: OAuthErrorBody }, 401: { description: 'invalid_client', schema: OAuthErrorBody } },
      },
    },
    {
      method: 'GET', path: '/v1/user', isBrowserFacing: true,
      middleware: [cors, requireBearer(deps, ['login', 'oauth'])], handler: user(deps),
      doc: {
        operationId: 'getUser', tag: 'Users', credential: 'oauthToken', summary: 'The user of a login token or OAuth access token',
        responses: { 200: { description: 'The user', schema: UserBody }, 401: { description: 'invalid_token / invalid_dpop_proof (RFC 9449 §7.1, WWW-Authenticate: DPoP)', schema: OAuthErrorBody } },
      },
    },
    ...(['GET', 'POST'] as const).map((method): Route => ({
      // OpenID Connect Core §5.3: GET and POST; the bearer is checked by the handler (header or form body).
      method, path: '/v1/auth/oauth/userinfo', isBrowserFacing: true,
      middleware: [cors], handler: oauthUserInfo(deps),
      doc: {
        operationId: `${method.toLowerCase()}OAuthUserInfo`, tag: 'OAuth', credential: 'oauthToken',
        summary: 'OpenID Connect UserInfo: sub and the claims the access token\'s scopes (and claims request) allow',
        ...(method === 'POST' ? { requestBody: UserInfoFormBody, requestTypes: ['application/x-www-form-urlencoded'] } : {}),
        responses: {
          200: { description: 'The claims (application/json)', schema: UserInfoBody },
          400: { description: 'invalid_request (token in the query string, or sent twice)', schema: OAuthErrorBody },
          401: { description: 'invalid_token (WWW-Authenticate: Bearer; no error code when no token was sent) / invalid_token or invalid_dpop_proof with WWW-Authenticate: DPoP (RFC 9449 §7.1: a DPoP-bound token needs Authorization: DPoP and a proof by its key)', schema: OAuthErrorBody },
          403: { description: 'insufficient_scope: the token has no openid scope', schema: OAuthErrorBody },
        },
      },
    })),
    {
      method: 'GET', path: '/.well-known/oauth-authorization-server', isBrowserFacing: false, middleware: [], handler: oauthMetadata(deps.issuer, () => clientRegistrationFeatures(deps)),
      doc: { operationId: 'getOAuthMetadata', tag: 'Discovery', summary: 'RFC 8414 authorization server metadata', responses: { 200: { description: 'Metadata' } } },
    },
    {
      method: 'GET', path: '/.well-known/openid-configuration', isBrowserFacing: false, middleware: [], handler: openIdMetadata(deps.issuer, () => clientRegistrationFeatures(deps)),
      doc: { operationId: 'getOpenIdConfiguration', tag: 'Discovery', summary: 'OpenID Connect discovery document', responses: { 200: { description: 'Metadata' } } },
    },
    {
      method: 'GET', path: '/.well-known/jwks.json', isBrowserFacing: false,
      middleware: [], handler: jwks(deps, options.jwksMaxAgeSeconds),
      doc: { operationId: 'getJwks', tag: 'Discovery', summary: 'Public keys that verify Latchkey tokens (RFC 7517)', responses: { 200: { description: 'JWK Set' } } },
    },
    {
      method: 'GET', path: '/healthz', isBrowserFacing: false, middleware: [], handler: healthz,
      doc: { operationId: 'getHealthz', tag: 'Operations', summary: 'Liveness: the process is up', responses: { 200: { description: 'Up' } } },
    },
    {
      method: 'GET', path: '/readyz', isBrowserFacing: false, middleware: [], handler: readyz(deps, options.rateLimitHealth),
      doc: {
        operationId: 'getReadyz', tag: 'Operations', summary: 'Readiness: the store is reachable',
        responses: { 200: { description: 'Ready' }, 503: { description: 'Store unreachable', schema: ErrorBody } },
      },
    },
  ];
  // Issue 11.3: every path parameter is checked before anything else of its route (404 otherwise).
  for (const route of routes) route.middleware.unshift(...pathParamChecks(route.path));
  // Built on first request, when the table below is complete; /openapi.json and /docs show the same one.
  let document: Record<string, unknown> | undefined;
  const openApi = () => (document ??= buildOpenApi(routes, deps.issuer, LATCHKEY_VERSION));
  routes.push(
    {
      method: 'GET', path: '/openapi.json', isBrowserFacing: false, middleware: [], handler: openApiDocument(openApi),
      doc: { operationId: 'getOpenApi', tag: 'Discovery', summary: 'This OpenAPI 3.1 document', responses: { 200: { description: 'OpenAPI document' } } },
    },
    ...siteRoutes(openApi),
  );
  return routes;
}

type Middleware = Route['middleware'][number];

const passkeyChallengeErrors = {
  400: { description: 'validation_error, or passkey_challenge_invalid: the challenge is unknown, expired (5 minutes), used, or of another application or ceremony — ask for new options', schema: v.union([ValidationErrorBody, ErrorBody]) },
};

/**
 * The passkey management routes (SPEC §12) of one credential: the consumer API's consumer access
 * token under /consumers/me/passkeys, API mode's login token under /v1/user/passkeys.
 */
function passkeyManagementRoutes(deps: FlowDeps, base: string, credential: 'consumerToken' | 'loginToken', middleware: Middleware[], changesPerIp: Middleware): Route[] {
  const handlers = passkeyManagement(deps, credential === 'consumerToken' ? consumerTokenHolder : loginTokenHolder);
  const tag = credential === 'consumerToken' ? 'Consumers' : 'Users';
  const who = credential === 'consumerToken' ? 'ConsumersMe' : 'User';
  const auth = credential === 'consumerToken'
    ? { 401: unauthorized, 403: { description: 'forbidden: a guest session, or a credential of the wrong kind / consumer_disabled', schema: ErrorBody } }
    : { 401: { description: 'invalid_token', schema: OAuthErrorBody }, 403: { description: 'consumer_disabled', schema: ErrorBody } };
  const notFound = { description: 'not_found: no passkey of this person has this id', schema: ErrorBody };
  const changesLimited = { description: 'Too many changes to sign-in methods from this network (LATCHKEY_RATE_LIMIT_ACCOUNT_CHANGES_PER_IP)', schema: RateLimitedBody };
  return [
    {
      method: 'GET', path: base, isBrowserFacing: true, middleware: [...middleware], handler: handlers.list,
      doc: { operationId: `get${who}Passkeys`, tag, credential, summary: 'The signed-in person\'s passkeys (SPEC §12), oldest first', responses: { 200: { description: 'Passkeys', schema: PasskeyListBody }, ...auth, 500: internalError } },
    },
    {
      method: 'POST', path: `${base}/registration/options`, isBrowserFacing: true, middleware: [...middleware, changesPerIp], handler: handlers.registrationOptions,
      doc: {
        operationId: `post${who}PasskeyRegistrationOptions`, tag, credential,
        summary: 'Options to register a passkey (navigator.credentials.create): discoverable credential, user verification preferred, no attestation, the person\'s passkeys excluded; the challenge is single use for 5 minutes',
        responses: { 200: { description: 'PublicKeyCredentialCreationOptionsJSON and its expiry', schema: PasskeyOptionsBody }, ...auth, 429: changesLimited, 500: internalError },
      },
    },
    {
      method: 'POST', path: `${base}/registration/verify`, isBrowserFacing: true, middleware: [...middleware, changesPerIp], handler: handlers.registrationVerify,
      doc: {
        operationId: `post${who}PasskeyRegistrationVerify`, tag, credential,
        summary: 'Register the passkey navigator.credentials.create made (origin: the issuer\'s or one of the application\'s passkey origins); a person with a second factor also sends a current one (code, totpCode or recoveryCode)',
        requestBody: PasskeyRegistrationBody,
        responses: {
          201: { description: 'Registered', schema: PasskeyBody },
          400: { description: 'validation_error / bad_request (a factor the person does not have) / passkey_challenge_invalid / passkey_registration_failed (did not verify, or registered already)', schema: v.union([ValidationErrorBody, ErrorBody]) },
          ...auth,
          401: { description: `${credential === 'loginToken' ? 'invalid_token / ' : 'authentication_required / '}otp_invalid / otp_expired / totp_invalid / recovery_code_invalid (the second-factor proof)`, schema: credential === 'loginToken' ? v.union([ErrorBody, OAuthErrorBody]) : ErrorBody },
          403: { description: 'step_up_required: the person has a second factor and no proof of it came / forbidden (a guest) / consumer_disabled', schema: ErrorBody },
          429: { description: 'Too many authenticator codes tried for this person (LATCHKEY_RATE_LIMIT_SECOND_FACTOR_PER_CONSUMER), or too many changes from this network (LATCHKEY_RATE_LIMIT_ACCOUNT_CHANGES_PER_IP)', schema: RateLimitedBody },
          500: internalError,
        },
      },
    },
    {
      method: 'PATCH', path: `${base}/:passkeyId`, isBrowserFacing: true, middleware: [...middleware, changesPerIp], handler: handlers.rename,
      doc: {
        operationId: `patch${who}Passkey`, tag, credential, summary: 'Rename a passkey', requestBody: PasskeyRenameBody,
        responses: { 200: { description: 'Renamed', schema: PasskeyBody }, 400: validationError, ...auth, 404: notFound, 429: changesLimited, 500: internalError },
      },
    },
    {
      method: 'DELETE', path: `${base}/:passkeyId`, isBrowserFacing: true, middleware: [...middleware, changesPerIp], handler: handlers.remove,
      doc: { operationId: `delete${who}Passkey`, tag, credential, summary: 'Remove a passkey', responses: { 204: { description: 'Removed' }, ...auth, 404: notFound, 429: changesLimited, 500: internalError } },
    },
  ];
}

/** SPEC §12 in the consumer API: passkey sign-in (publishable key) and the person's passkeys (consumer access token). */
function passkeyConsumerRoutes(
  deps: FlowDeps,
  m: { cors: Middleware; publishableKey: Middleware; guestToken: Middleware; consumerToken: Middleware; loginPerIp: Middleware; changesPerIp: Middleware },
): Route[] {
  return [
    {
      method: 'POST', path: '/auth/passkey/options', isBrowserFacing: true,
      middleware: [m.cors, m.publishableKey, m.loginPerIp], handler: passkeyOptions(deps),
      doc: {
        operationId: 'postAuthPasskeyOptions', tag: 'Auth', credential: 'publishableKey',
        summary: 'Options for a passkey sign-in (navigator.credentials.get; discoverable credentials: allowCredentials is empty, conditional UI works); the challenge is single use for 5 minutes',
        responses: { 200: { description: 'PublicKeyCredentialRequestOptionsJSON and its expiry', schema: PasskeyOptionsBody }, 401: unauthorized, 403: forbidden, 429: rateLimited, 500: internalError },
      },
    },
    {
      method: 'POST', path: '/auth/passkey/verify', isBrowserFacing: true,
      middleware: [m.cors, m.publishableKey, m.loginPerIp, m.guestToken], handler: passkeyVerify(deps),
      doc: {
        operationId: 'postAuthPasskeyVerify', tag: 'Auth', credential: 'publishableKey',
        summary: 'Sign in with a passkey: a session as /auth/otp/verify gives (a guest access token sent along is linked); without user verification an account with a second factor answers secondFactorRequired',
        requestBody: PasskeySignInBody,
        responses: {
          200: { description: 'Signed in; or the pending state of SPEC §12 (no user verification and a second factor set): complete with /auth/second-factor/*', schema: v.union([AuthSessionBody, SecondFactorRequiredBody]) },
          ...passkeyChallengeErrors,
          401: { description: 'passkey_invalid (unknown credential, bad signature, wrong origin or RP ID, stale signature counter) / authentication_required / invalid_api_key', schema: ErrorBody },
          403: forbiddenOrDisabled, 429: rateLimited, 500: internalError,
        },
      },
    },
    ...passkeyManagementRoutes(deps, '/consumers/me/passkeys', 'consumerToken', [m.cors, m.consumerToken], m.changesPerIp),
  ];
}

/** SPEC §12 in API mode: passkey sign-in to a login token (client key), and the user's passkeys (login token). */
function passkeyApiModeRoutes(deps: FlowDeps, m: { cors: Middleware; publishableKey: Middleware; loginPerIp: Middleware; changesPerIp: Middleware }): Route[] {
  return [
    {
      method: 'POST', path: '/v1/auth/passkey/options', isBrowserFacing: true,
      middleware: [m.cors, m.publishableKey, m.loginPerIp], handler: passkeyOptions(deps),
      doc: {
        operationId: 'postPasskeyOptions', tag: 'Users', credential: 'clientKey',
        summary: 'Step 2 with a passkey: options for navigator.credentials.get (discoverable credentials); the challenge is single use for 5 minutes',
        responses: { 200: { description: 'PublicKeyCredentialRequestOptionsJSON and its expiry', schema: PasskeyOptionsBody }, 401: unauthorized, 403: forbidden, 429: rateLimited, 500: internalError },
      },
    },
    {
      method: 'POST', path: '/v1/auth/passkey/verify', isBrowserFacing: true,
      middleware: [m.cors, m.publishableKey, m.loginPerIp], handler: passkeyLogin(deps),
      doc: {
        operationId: 'postPasskeyLogin', tag: 'Users', credential: 'clientKey',
        summary: 'Step 2 with a passkey: a login token, answered as /v1/auth/login; without user verification a user with a second factor gets isOtpRequired (send a new assertion with otpCode)',
        requestBody: PasskeyLoginBody,
        responses: {
          200: { description: 'Signed in, or isOtpRequired', schema: LoginResponse },
          ...passkeyChallengeErrors,
          401: { description: 'passkey_invalid (unknown credential, bad signature, wrong origin or RP ID, stale signature counter) / totp_invalid / recovery_code_invalid (the second factor sent along) / authentication_required / invalid_api_key', schema: ErrorBody },
          403: { description: 'consumer_disabled: the passkey of a person an operator disabled', schema: ErrorBody },
          429: rateLimited, 500: internalError,
        },
      },
    },
    ...passkeyManagementRoutes(deps, '/v1/user/passkeys', 'loginToken', [m.cors, requireBearer(deps, ['login'])], m.changesPerIp),
  ];
}

/**
 * SPEC §10: Latchkey's own pages on the public listener — the same for every visitor, with nothing
 * of any organization or application (src/http/handlers/site-page.ts).
 */
function siteRoutes(openApi: () => Record<string, unknown>): Route[] {
  return [
    {
      method: 'GET', path: '/', isBrowserFacing: false, middleware: [], handler: landingPage(LATCHKEY_VERSION),
      doc: {
        operationId: 'getLandingPage', tag: 'Documentation', summary: 'Landing page: the product, its version and links to the documentation, discovery and JWKS',
        responses: { 200: { description: 'HTML page', html: true } },
      },
    },
    {
      method: 'GET', path: '/docs', isBrowserFacing: false, middleware: [], handler: docsPage(openApi),
      doc: {
        operationId: 'getDocs', tag: 'Documentation', summary: 'This API reference as a page: every operation of the OpenAPI document, by tag',
        responses: { 200: { description: 'HTML page', html: true } },
      },
    },
  ];
}

/** The hosted pages (SPEC §7) and their assets: HTML, not JSON; documented for completeness. */
function hostedRoutes(hosted: ReturnType<typeof hostedHandlers>, deps: FlowDeps, options: { trustedProxyHops: number }): Route[] {
  const page = (method: 'GET' | 'POST', path: string, handler: Handler<AppEnv>, summary: string): Route => ({
    method, path, isBrowserFacing: false, middleware: [], handler,
    doc: { operationId: `${method.toLowerCase()}Hosted${path.replace(/[^A-Za-z]/g, '')}`, tag: 'Hosted pages', summary, responses: { 200: { description: 'HTML page' }, 303: { description: 'Next page, or back to the client' } } },
  });
  const account = accountHandlers(deps, options);
  return [
    page('GET', '/oauth/authorize/:id', hosted.show, 'Sign-in page of an authorization session (or consent, or straight back to the client)'),
    page('POST', '/oauth/authorize/:id/login', hosted.login, 'Password sign-in form'),
    page('POST', '/oauth/authorize/:id/second-factor', hosted.secondFactor, 'Second factor: the SMS code, the authenticator app\'s code or a recovery code'),
    page('POST', '/oauth/authorize/:id/email-code', hosted.emailCode, 'Send a sign-in code by email'),
    page('POST', '/oauth/authorize/:id/email-code/verify', hosted.emailCodeVerify, 'Sign in with the emailed code'),
    page('POST', '/oauth/authorize/:id/consent', hosted.consent, 'Approve or deny'),
    page('POST', '/oauth/authorize/:id/passkey/options', hosted.passkeyOptions, 'Options of a passkey sign-in, as JSON for the page\'s script (CSRF token in a form body)'),
    page('POST', '/oauth/authorize/:id/passkey', hosted.passkey, 'Passkey sign-in form: the credential of navigator.credentials.get() as JSON'),
    // The account page of the person signed in in this browser (SPEC §12: passkeys, authenticator app).
    page('GET', '/account', account.show, 'Account page of the person signed in in this browser: passkeys and authenticator app'),
    page('POST', '/account/passkeys/options', account.passkeyOptions, 'Options of a passkey registration, as JSON for the page\'s script (CSRF token in a form body)'),
    page('POST', '/account/passkeys', account.registerPasskey, 'Register a passkey: the credential of navigator.credentials.create() as JSON, and a name'),
    page('POST', '/account/sms-code', account.smsCode, 'Send the SMS code that adding a passkey takes from a person whose second factor is SMS'),
    page('POST', '/account/passkeys/:passkeyId/rename', account.renamePasskey, 'Rename a passkey'),
    page('POST', '/account/passkeys/:passkeyId/remove', account.removePasskey, 'Remove a passkey'),
    page('POST', '/account/totp', account.startTotp, 'Start setting up an authenticator app: the QR code and the secret'),
    page('POST', '/account/totp/confirm', account.confirmTotp, 'Confirm the authenticator app with its first code: the ten recovery codes, shown once'),
    page('POST', '/account/totp/remove', account.removeTotp, 'Remove the authenticator app (a current code or a recovery code), or cancel a pending setup'),
    page('POST', '/account/sign-out', account.signOut, 'Sign out of this browser'),
    page('GET', '/assets/hosted.css', hostedCss, 'Stylesheet of the hosted pages'),
    page('GET', '/assets/passkey.js', passkeyScript, 'The passkey script of the login and account pages'),
    page('GET', '/favicon.ico', (c) => c.body(null, 204), 'No icon (browsers ask for one)'),
    page('GET', '/assets/theme/:file', themeStylesheet(deps), 'Accent colour of an application'),
  ];
}

/**
 * RP-Initiated Logout 1.0 §2 (SPEC §9): the end_session_endpoint answers GET and POST alike; the
 * confirmation form posts to its own path. A browser navigates here: pages and redirects, no CORS.
 */
function endSessionRoutes(deps: FlowDeps): Route[] {
  const endSession = endSessionHandlers(deps);
  const responses = {
    200: { description: 'HTML page: the confirmation question (request not attributable to this browser\'s sign-in), or "You are signed out"' },
    400: { description: 'HTML page: id_token_hint not ours, client_id not its audience, unknown client, post_logout_redirect_uri unregistered or without a client, repeated parameter' },
  };
  const start = (method: 'GET' | 'POST', handler: Handler<AppEnv>): Route => ({
    method, path: '/v1/auth/oauth/end-session', isBrowserFacing: false, middleware: [], handler,
    doc: {
      operationId: `${method.toLowerCase()}OAuthEndSession`, tag: 'OAuth',
      summary: `OpenID Connect RP-Initiated Logout (parameters ${method === 'GET' ? 'in the query' : 'as a form body'}): ends the browser's sign-in and the token families it started for the client`,
      ...(method === 'GET' ? { query: EndSessionParams } : { requestBody: EndSessionParams, requestTypes: ['application/x-www-form-urlencoded'] }),
      responses: { ...responses, [method === 'GET' ? 302 : 303]: { description: 'To the registered post_logout_redirect_uri, with state' } },
    },
  });
  return [
    start('GET', endSession.get),
    start('POST', endSession.post),
    {
      method: 'POST', path: '/v1/auth/oauth/end-session/confirm', isBrowserFacing: false, middleware: [], handler: endSession.confirm,
      doc: {
        operationId: 'postOAuthEndSessionConfirm', tag: 'OAuth', summary: 'The sign-out confirmation form (CSRF token): sign out, or stay signed in',
        requestBody: EndSessionConfirmForm, requestTypes: ['application/x-www-form-urlencoded'],
        responses: { ...responses, 303: { description: 'To the registered post_logout_redirect_uri, with state' }, 403: { description: 'HTML page: CSRF token or origin refused; nothing ended' } },
      },
    },
  ];
}
