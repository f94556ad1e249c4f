import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticateBearer, type MiddlewareOptions } from './bearer.js';
import type { AccessTokenClaims } from './verify.js';

declare global {
  // Express's own augmentation point: `req.latchkey` is typed in Express handlers.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      latchkey?: AccessTokenClaims;
    }
  }
}

/**
 * Express (and Connect, or plain node:http) middleware (SPEC §11): verifies the bearer access token
 * and sets its claims as `req.latchkey`; 401 per RFC 6750 §3 otherwise. It uses only node:http's
 * request and response API, which Express's objects extend.
 */
export function expressMiddleware(options: MiddlewareOptions) {
  return (req: IncomingMessage & { latchkey?: AccessTokenClaims }, res: ServerResponse, next: (error?: unknown) => void): void => {
    // RFC 9449 §4.3 check 9: the URL the client called; behind a proxy, set `publicOrigin`.
    const path = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const origin = options.publicOrigin?.replace(/\/+$/, '') ?? `http://${req.headers.host ?? 'localhost'}`;
    const dpop = req.headers.dpop;
    authenticateBearer(req.headers.authorization, options, { method: req.method ?? 'GET', url: `${origin}${path}`, dpop: Array.isArray(dpop) ? dpop.join(',') : dpop }).then((outcome) => {
      if (outcome.ok) {
        req.latchkey = outcome.claims;
        next();
        return;
      }
      res.statusCode = outcome.status;
      for (const [name, value] of Object.entries(outcome.headers)) res.setHeader(name, value);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(outcome.body));
    }, next);
  };
}
