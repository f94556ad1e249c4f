import type { MiddlewareHandler } from 'hono';
import { authenticateBearer, type BearerOptions } from './bearer.js';
import type { AccessTokenClaims } from './verify.js';

/** What the middleware sets on the context: `c.get('latchkey')`. */
export type LatchkeyVariables = { latchkey: AccessTokenClaims };

/** hono middleware (SPEC §11): verifies the bearer access token and sets its claims as `c.get('latchkey')`; 401 per RFC 6750 §3 otherwise. */
export function honoMiddleware(options: BearerOptions): MiddlewareHandler<{ Variables: LatchkeyVariables }> {
  return async (c, next) => {
    const outcome = await authenticateBearer(c.req.header('authorization'), options);
    if (!outcome.ok) return c.json(outcome.body, outcome.status, outcome.headers);
    c.set('latchkey', outcome.claims);
    await next();
  };
}
