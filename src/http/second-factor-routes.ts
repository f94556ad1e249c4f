import type { Handler, MiddlewareHandler } from 'hono';
import * as v from 'valibot';
import type { FlowDeps } from '../flows/deps.js';
import type { AppEnv } from './env.js';
import { secondFactorHandlers, type OwnerOf } from './handlers/second-factors.js';
import type { Credential, Route } from './route.js';
import { ErrorBody, InternalErrorBody, RateLimitedBody, ValidationErrorBody } from './schemas/common.js';
import { OAuthErrorBody } from './schemas/oauth.js';
import {
  RecoveryCodesBody, RecoveryCodesRegenerateBody, SecondFactorListBody, TotpConfirmBody, TotpConfirmedBody, TotpEnrollmentBody, TotpRemoveBody,
} from './schemas/second-factor.js';

// Rows of the route table (routes.ts), kept apart as the admin API's are: the same five routes are
// mounted twice, under the consumer API and under API mode.

/**
 * SPEC §12: a signed-in person's own second factors — the same five routes in the consumer API
 * (consumer access token of an authenticated consumer) and in API mode (login token of
 * `/v1/auth/login`). OAuth access tokens of third-party applications are not accepted.
 */
export function secondFactorRoutes(
  deps: FlowDeps,
  options: {
    prefix: string; tag: string; credential: Credential; middleware: MiddlewareHandler<AppEnv>[];
    /** Per client IP, on every change (not the GET): LATCHKEY_RATE_LIMIT_ACCOUNT_CHANGES_PER_IP. */
    changesPerIp: MiddlewareHandler<AppEnv>; ownerOf: OwnerOf; operation: string;
  },
): Route[] {
  const handlers = secondFactorHandlers(deps, options.ownerOf);
  const base = `${options.prefix}/second-factors`;
  const isApiMode = options.credential === 'loginToken';
  const credentialRefused: Route['doc']['responses'] = isApiMode
    ? { 401: { description: 'invalid_token (login token missing, invalid or ended)', schema: OAuthErrorBody } }
    : { 401: { description: 'authentication_required / invalid_api_key', schema: ErrorBody }, 403: { description: 'forbidden: a guest (sign in first), or another kind of credential', schema: ErrorBody } };
  const common: Route['doc']['responses'] = { ...credentialRefused, 500: { description: 'Internal server error', schema: InternalErrorBody } };
  const proofRefused = {
    400: { description: 'validation_error / bad_request (a confirmed authenticator app needs totpCode or recoveryCode)', schema: v.union([ValidationErrorBody, ErrorBody]) },
    // API mode: a refused login token answers in the OAuth shape (RFC 6750 §3), a refused code in ours.
    401: { description: `totp_invalid (wrong or already-used code) / recovery_code_invalid${isApiMode ? ' / invalid_token' : ' / authentication_required'}`, schema: isApiMode ? v.union([ErrorBody, OAuthErrorBody]) : ErrorBody },
    429: { description: 'Too many authenticator codes tried for this person (LATCHKEY_RATE_LIMIT_SECOND_FACTOR_PER_CONSUMER), or too many changes from this network (LATCHKEY_RATE_LIMIT_ACCOUNT_CHANGES_PER_IP)', schema: RateLimitedBody },
  };
  const changesLimited = { description: 'Too many changes to sign-in methods from this network (LATCHKEY_RATE_LIMIT_ACCOUNT_CHANGES_PER_IP)', schema: RateLimitedBody };
  const route = (method: Route['method'], path: string, handler: Handler<AppEnv>, doc: Omit<Route['doc'], 'tag' | 'credential'>): Route => ({
    method, path, isBrowserFacing: true, middleware: method === 'GET' ? [...options.middleware] : [...options.middleware, options.changesPerIp], handler,
    doc: { ...doc, responses: method === 'GET' ? doc.responses : { 429: changesLimited, ...doc.responses }, tag: options.tag, credential: options.credential },
  });
  return [
    route('GET', base, handlers.list, {
      operationId: `get${options.operation}SecondFactors`, summary: 'The person\'s second factors (authenticator app with recovery codes left, SMS) — never a secret',
      responses: { ...common, 200: { description: 'Second factors', schema: SecondFactorListBody } },
    }),
    route('POST', `${base}/totp`, handlers.startTotp, {
      operationId: `post${options.operation}Totp`,
      summary: 'Start (or restart) an authenticator-app (TOTP, RFC 6238) enrollment: the secret, its otpauth:// URI and that URI as an SVG QR code (Cache-Control: no-store); a person with no second factor yet needs a sign-in from the last 10 minutes',
      responses: {
        ...common, 200: { description: 'Pending enrollment: confirm it with a first code', schema: TotpEnrollmentBody },
        403: { description: 'step_up_required: no second factor yet and the sign-in is older than 10 minutes (sign in again) / forbidden (a guest)', schema: ErrorBody },
        409: { description: 'conflict: an authenticator app is already on (remove it first)', schema: ErrorBody },
      },
    }),
    route('POST', `${base}/totp/confirm`, handlers.confirmTotp, {
      operationId: `post${options.operation}TotpConfirm`, summary: 'Confirm the pending enrollment with a first code: TOTP is on; the ten recovery codes are returned this once',
      requestBody: TotpConfirmBody,
      responses: { ...common, ...proofRefused, 200: { description: 'Enabled', schema: TotpConfirmedBody }, 409: { description: 'conflict: no enrollment waits for a first code', schema: ErrorBody } },
    }),
    route('DELETE', `${base}/totp`, handlers.removeTotp, {
      operationId: `delete${options.operation}Totp`,
      summary: 'Remove the authenticator app and its recovery codes: takes a current totpCode or a recoveryCode (no body: cancel a pending enrollment)',
      requestBody: TotpRemoveBody,
      responses: { ...common, ...proofRefused, 204: { description: 'Removed' }, 404: { description: 'not_found: no authenticator app', schema: ErrorBody } },
    }),
    route('POST', `${base}/recovery-codes`, handlers.regenerateRecoveryCodes, {
      operationId: `post${options.operation}RecoveryCodes`, summary: 'Ten new recovery codes replace every old one (takes a current totpCode or a recoveryCode); shown this once',
      requestBody: RecoveryCodesRegenerateBody,
      responses: { ...common, ...proofRefused, 200: { description: 'The new codes', schema: RecoveryCodesBody }, 409: { description: 'conflict: no authenticator app', schema: ErrorBody } },
    }),
  ];
}
