import type { MiddlewareHandler } from 'hono';
import { authenticateBearer, type MiddlewareOptions } from './bearer.js';
import type { AccessTokenClaims } from './verify.js';

/** What the middleware sets on the context: `c.get('latchkey')`. */
export type LatchkeyVariables = { latchkey: AccessTokenClaims };

/**
 * hono middleware (SPEC §11): verifies the access token — and, for a DPoP-bound one, its DPoP proof
 * (RFC 9449 §7) — and sets its claims as `c.get('latchkey')`; 401 per RFC 6750 §3 otherwise.
 */
export function honoMiddleware(options: MiddlewareOptions): MiddlewareHandler<{ Variables: LatchkeyVariables }> {
  return async (c, next) => {
    // RFC 9449 §4.3 check 9: the URL the client called; behind a proxy, set `publicOrigin`.
    const url = options.publicOrigin ? `${options.publicOrigin.replace(/\/+$/, '')}${c.req.path}` : c.req.url;
    const outcome = await authenticateBearer(c.req.header('authorization'), options, { method: c.req.method, url, dpop: c.req.header('dpop') });
    if (!outcome.ok) return c.json(outcome.body, outcome.status, outcome.headers);
    c.set('latchkey', outcome.claims);
    await next();
  };
}
