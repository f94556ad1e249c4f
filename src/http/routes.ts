import type { Handler, MiddlewareHandler } from 'hono';
import * as v from 'valibot';
import type { GenericSchema } from 'valibot';
import type { FlowDeps } from '../flows/deps.js';
import type { AppEnv } from './env.js';
import { consumersMe } from './handlers/consumers-me.js';
import { externalAuthorize } from './handlers/external-authorize.js';
import { externalExchange } from './handlers/external-exchange.js';
import { guest } from './handlers/guest.js';
import { healthz, readyz } from './handlers/health.js';
import { jwks } from './handlers/jwks.js';
import { logout } from './handlers/logout.js';
import { openApiDocument } from './handlers/openapi.js';
import { otpRequest } from './handlers/otp-request.js';
import { otpVerify } from './handlers/otp-verify.js';
import { refresh } from './handlers/refresh.js';
import { browserCors } from './middleware/cors.js';
import { acceptGuestToken, requireConsumerToken, requirePublishableKey, requireSecretKey } from './middleware/credentials.js';
import { limitPerApplication, limitPerIp } from './middleware/rate-limit.js';
import { ErrorBody, InternalErrorBody, RateLimitedBody, ValidationErrorBody } from './schemas/common.js';
import { ExternalAuthorizeRequest, ExternalAuthorizeResponse, ExternalExchangeRequest } from './schemas/external.js';
import { OkBody, OtpRequestBody, OtpVerifyBody } from './schemas/otp.js';
import { AuthSessionBody, ConsumerProfileBody, RefreshRequest, RefreshResponse } from './schemas/sessions.js';

export type Credential = 'secretKey' | 'publishableKey' | 'consumerToken';

export interface RouteDoc {
  operationId: string;
  summary: string;
  tag: string;
  credential?: Credential;
  requestBody?: GenericSchema;
  responses: Record<number, { description: string; schema?: GenericSchema }>;
}

/** One row of the route table: what runs, in order, for a method and path. */
export interface Route {
  method: 'GET' | 'POST';
  path: string;
  /** Browser-facing: answers CORS for the application's allowed origins (SPEC §2). */
  isBrowserFacing: boolean;
  middleware: MiddlewareHandler<AppEnv>[];
  handler: Handler<AppEnv>;
  doc: RouteDoc;
}

const validationError = { description: 'Bad Request - Invalid input schema', schema: ValidationErrorBody };
const unauthorized = { description: 'Unauthorized - Authentication required', schema: ErrorBody };
const forbidden = { description: 'Forbidden - Wrong kind of credential', schema: ErrorBody };
const internalError = { description: 'Internal server error', schema: InternalErrorBody };
const rateLimited = { description: 'Too many requests (Retry-After and X-RateLimit-* headers)', schema: RateLimitedBody };

/**
 * THE ROUTE TABLE. Every path, its method, the middleware that runs before its handler (in order)
 * and its OpenAPI description. Global middleware (request id, access log, body limit, security
 * headers, error serialization) is applied in app.ts, before any of these.
 */
export function buildRoutes(deps: FlowDeps, options: { jwksMaxAgeSeconds: number; trustedProxyHops: number }): Route[] {
  const secretKey = requireSecretKey(deps);
  const publishableKey = requirePublishableKey(deps);
  const consumerToken = requireConsumerToken(deps);
  const cors = browserCors(deps);
  const guestToken = acceptGuestToken(deps);
  const perIp = (name: Parameters<typeof limitPerIp>[1]) => limitPerIp(deps, name, options.trustedProxyHops);

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
          400: validationError, 401: unauthorized, 403: { ...forbidden, description: 'Forbidden - User must be authenticated' }, 429: rateLimited, 500: internalError,
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
          400: { description: 'validation_error, or invalid_exchange_code / exchange_code_expired / invalid_code_verifier', schema: v.union([ValidationErrorBody, ErrorBody]) },
          401: unauthorized, 403: forbidden, 500: internalError,
        },
      },
    },
    {
      method: 'POST', path: '/auth/guest', isBrowserFacing: true,
      middleware: [cors, publishableKey, perIp('guestPerIp')], handler: guest(deps),
      doc: {
        operationId: 'postAuthGuest', tag: 'Auth', credential: 'publishableKey',
        summary: 'Start a guest session',
        responses: { 200: { description: 'Guest session started', schema: AuthSessionBody }, 401: unauthorized, 403: forbidden, 429: rateLimited, 500: internalError },
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
        summary: 'Verify a one-time passcode and sign in (a guest access token sent along is linked)',
        requestBody: OtpVerifyBody,
        responses: {
          200: { description: 'Signed in', schema: AuthSessionBody }, 400: validationError,
          401: { description: 'otp_invalid / otp_expired / authentication_required / invalid_api_key', schema: ErrorBody },
          403: forbidden, 429: rateLimited, 500: internalError,
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
          400: validationError,
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
      method: 'GET', path: '/readyz', isBrowserFacing: false, middleware: [], handler: readyz(deps),
      doc: {
        operationId: 'getReadyz', tag: 'Operations', summary: 'Readiness: the store is reachable',
        responses: { 200: { description: 'Ready' }, 503: { description: 'Store unreachable', schema: ErrorBody } },
      },
    },
  ];
  routes.push({
    method: 'GET', path: '/openapi.json', isBrowserFacing: false, middleware: [], handler: openApiDocument(routes, deps.issuer),
    doc: { operationId: 'getOpenApi', tag: 'Discovery', summary: 'This OpenAPI 3.1 document', responses: { 200: { description: 'OpenAPI document' } } },
  });
  return routes;
}
