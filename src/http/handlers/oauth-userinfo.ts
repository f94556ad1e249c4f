import type { Context, Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { getOpenIdUserInfo } from '../../flows/oauth/userinfo.js';
import { InvalidRequest, InvalidToken } from '../../protocol/oauth-errors.js';
import { singleValuedParams } from '../../protocol/oauth-params.js';
import { authenticateAccessToken, readAuthorization } from '../dpop-resource.js';
import type { AppEnv } from '../env.js';

/** RFC 6750 §3.1 invalid_request, with its Bearer challenge. */
function invalidBearerRequest(message: string): InvalidRequest {
  const error = new InvalidRequest(message);
  error.headers['WWW-Authenticate'] = 'Bearer realm="latchkey", error="invalid_request"';
  return error;
}

/**
 * The access token of a UserInfo request: `Authorization: Bearer` (RFC 6750 §2.1), or
 * `access_token` in a form-encoded POST body (§2.2) — one of them, never both (§2). The query string
 * (§2.3) is refused for every path before any handler runs (app.ts; RFC 9700 §4.3.2).
 */
async function accessTokenOf(c: Context<AppEnv>): Promise<{ scheme: 'Bearer' | 'DPoP'; token: string } | undefined> {
  const fromHeader = readAuthorization(c);
  let fromBody: string | undefined;
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (c.req.method === 'POST' && type === 'application/x-www-form-urlencoded') {
    try {
      fromBody = singleValuedParams(new URLSearchParams(await c.req.text())).access_token;
    } catch (error) {
      // A repeated or malformed parameter is still an RFC 6750 §3.1 invalid_request, with its challenge.
      throw invalidBearerRequest(error instanceof Error ? error.message : 'the body is malformed');
    }
  }
  if (fromHeader !== undefined && fromBody !== undefined) throw invalidBearerRequest('send the access token once: in the Authorization header or in the body');
  return fromHeader ?? (fromBody === undefined ? undefined : { scheme: 'Bearer', token: fromBody });
}

/** GET and POST /v1/auth/oauth/userinfo — OpenID Connect Core §5.3 (SPEC §9), for OAuth access tokens only. */
export const oauthUserInfo = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const presented = await accessTokenOf(c);
  if (!presented) {
    const error = new InvalidToken('send the access token as Authorization: Bearer <token>');
    // RFC 6750 §3.1: no error code when the request carried no token at all.
    error.headers['WWW-Authenticate'] = 'Bearer realm="latchkey"';
    throw error;
  }
  if (presented.token.startsWith('pk_')) throw new InvalidToken('a publishable key is not an access token: send it as x-client-key');
  // Login tokens and ID tokens are refused by type: only OAuth access tokens (RFC 9068) reach here.
  // RFC 9449 §7.1: a DPoP-bound token only as `Authorization: DPoP` with a proof by its key.
  const principal = await authenticateAccessToken(deps, c, presented, ['oauth']);
  c.set('bearer', principal);
  return c.json(await getOpenIdUserInfo(deps, principal));
};
