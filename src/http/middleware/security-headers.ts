import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';

/**
 * Headers every API response carries: responses hold tokens and personal data, so no cache may keep
 * them (RFC 6749 §5.1 for token responses; applied to all JSON here), and no browser may sniff or
 * frame them. Set before the handler runs, so a route that wants caching (JWKS) simply sets its own
 * Cache-Control — and so no response object has to be rebuilt afterwards (docs/benchmarks.md).
 */
export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.header('Cache-Control', 'no-store');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Frame-Options', 'DENY');
  await next();
};
