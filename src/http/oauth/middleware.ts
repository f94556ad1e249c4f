import type { MiddlewareHandler } from 'hono';
import { findApplicationByPublishableKey } from '../../flows/applications.js';
import type { FlowDeps } from '../../flows/deps.js';
import { InvalidClient, InvalidToken } from '../../protocol/oauth-errors.js';
import { authenticateAccessToken, readAuthorization } from '../dpop-resource.js';
import type { AppEnv } from '../env.js';


/** `x-client-key` of a /v1/auth/oauth endpoint: missing or unknown → 401 invalid_client (RFC 6749 §5.2). */
export function requireClientKey(deps: FlowDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header('x-client-key') ?? c.req.header('x-publishable-key');
    if (!key) throw new InvalidClient('send the client key as x-client-key');
    const application = await findApplicationByPublishableKey(deps, key);
    if (!application) throw new InvalidClient('unknown client key');
    // SPEC §13: API mode would let a client nobody registered see the password and skip consent.
    if (application.registration !== 'manual') throw new InvalidClient('this client may only use the hosted pages (API mode is for registered applications)');
    c.set('application', application);
    await next();
  };
}

/**
 * `Authorization: Bearer` with a login token and/or OAuth access token (RFC 6750 §2.1), or
 * `Authorization: DPoP` with a DPoP-bound one and its proof (RFC 9449 §7.1); 401 invalid_token otherwise.
 */
export function requireBearer(deps: FlowDeps, accept: ReadonlyArray<'login' | 'oauth'>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const presented = readAuthorization(c);
    if (!presented) {
      const error = new InvalidToken('send the token as Authorization: Bearer <token>');
      // RFC 6750 §3.1: no error code when the request carried no token at all.
      error.headers['WWW-Authenticate'] = 'Bearer realm="latchkey"';
      throw error;
    }
    // SPEC §2: a publishable key is no bearer credential; say where it goes (RFC 6750 keeps the 401).
    if (presented.token.startsWith('pk_')) throw new InvalidToken('a publishable key is not an access token: send it as x-client-key');
    // RFC 9449 §7.1: a DPoP-bound token only under the DPoP scheme, with a proof by its key.
    c.set('bearer', await authenticateAccessToken(deps, c, presented, accept));
    await next();
  };
}
