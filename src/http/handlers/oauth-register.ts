import type { Handler, MiddlewareHandler } from 'hono';
import * as v from 'valibot';
import type { FlowDeps } from '../../flows/deps.js';
import { readRegistrationRequest, registerClient } from '../../flows/oauth/dynamic-registration.js';
import { InvalidRequest } from '../../protocol/oauth-errors.js';
import { InvalidClientMetadataError } from '../../protocol/registration-errors.js';
import type { AppEnv } from '../env.js';
import type { Route } from '../route.js';
import { OAuthErrorBody } from '../schemas/oauth.js';
import { InternalErrorBody, RateLimitedBody } from '../schemas/common.js';

/** RFC 7591 §2 client metadata, as far as it is read here (others are accepted and ignored). */
const RegistrationRequestBody = v.object({
  redirect_uris: v.array(v.string()),
  client_name: v.optional(v.string()),
  token_endpoint_auth_method: v.optional(v.picklist(['none'])),
  grant_types: v.optional(v.array(v.picklist(['authorization_code', 'refresh_token']))),
  response_types: v.optional(v.array(v.picklist(['code']))),
  scope: v.optional(v.string()),
});

/** RFC 7591 §3.2.1 client information response. */
const ClientInformationBody = v.object({
  client_id: v.string(),
  client_id_issued_at: v.number(),
  client_name: v.string(),
  redirect_uris: v.array(v.string()),
  grant_types: v.array(v.string()),
  response_types: v.array(v.string()),
  token_endpoint_auth_method: v.picklist(['none']),
  scope: v.string(),
});

/** `Authorization: Bearer <initial access token>` (RFC 7591 §3, RFC 6750 §2.1), if any. */
const bearerOf = (header: string | undefined) => /^Bearer[ ]+(\S+)[ ]*$/i.exec(header ?? '')?.[1];

/**
 * POST /v1/auth/oauth/register — RFC 7591 §3.1: a JSON object of client metadata. The body is read
 * and checked in full before the store is asked anything; 201 with the client information (§3.2.1),
 * or a §3.2.2 error.
 */
export const oauthRegister = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new InvalidRequest('the body must be application/json (RFC 7591 §3.1)');
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new InvalidClientMetadataError('the request body is not JSON');
  }
  const requested = readRegistrationRequest(body);
  const information = await registerClient(deps, requested, bearerOf(c.req.header('authorization')));
  c.header('Pragma', 'no-cache');
  return c.json(information, 201);
};

/** The registration endpoint's row of the route table (SPEC §13), behind its per-IP limit. */
export function registrationRoutes(deps: FlowDeps, limit: MiddlewareHandler<AppEnv>): Route[] {
  return [
    {
      method: 'POST', path: '/v1/auth/oauth/register', isBrowserFacing: false, middleware: [limit], handler: oauthRegister(deps),
      doc: {
        operationId: 'postOAuthRegister', tag: 'OAuth',
        summary: 'RFC 7591 Dynamic Client Registration of a public, PKCE-only client (when the organization has it on; an initial access token as Bearer when it requires one)',
        requestBody: RegistrationRequestBody,
        responses: {
          201: { description: 'Registered: the client information (Cache-Control: no-store)', schema: ClientInformationBody },
          400: { description: 'invalid_redirect_uri / invalid_client_metadata / invalid_request (not JSON)', schema: OAuthErrorBody },
          401: { description: 'invalid_token: the initial access token is missing or wrong', schema: OAuthErrorBody },
          403: { description: 'access_denied: Dynamic Client Registration is off', schema: OAuthErrorBody },
          429: { description: 'Too many registrations from this address', schema: RateLimitedBody },
          500: { description: 'Internal server error', schema: InternalErrorBody },
        },
      },
    },
  ];
}
