import type { Context, MiddlewareHandler } from 'hono';
import { isPreflightAllowed, isResponseReadableBy } from '../../flows/browser-origins.js';
import type { FlowDeps } from '../../flows/deps.js';
import { parseOrigin } from '../../protocol/origins.js';
import type { AppEnv } from '../env.js';

// RFC 9449 §4.1, §8: browsers send DPoP proofs and read the server's nonce.
const ALLOWED_HEADERS = 'authorization, content-type, x-publishable-key, x-client-key, x-request-id, dpop';
const EXPOSED_HEADERS = 'x-request-id, retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, dpop-nonce, www-authenticate';

function allow(c: Context, origin: string): void {
  c.header('Access-Control-Allow-Origin', origin);
  c.header('Access-Control-Expose-Headers', EXPOSED_HEADERS);
}

/**
 * SPEC §2 for browser-facing endpoints: the response to a real request is readable by the page only
 * when its origin is allowed for the application the request turned out to be for.
 */
export function browserCors(deps: FlowDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // Set before the handler: touching headers of a finished response makes the Node adapter rebuild it.
    c.header('Vary', 'Origin', { append: true });
    await next();
    const origin = c.req.header('origin');
    if (!origin || !parseOrigin(origin)) return;
    // The application the request turned out to be for: from its key, its consumer token, or the
    // client of its OAuth/login bearer token.
    const subject = {
      application: c.get('application'),
      applicationId: c.get('principal')?.applicationId,
      clientId: c.get('bearer')?.payload.client_id,
      isRefused: c.res.status >= 400,
    };
    if (await isResponseReadableBy(deps, origin, subject)) allow(c, origin);
  };
}

/**
 * Preflights carry no credentials, so the application is not known yet: a preflight is approved when
 * some application allows the origin; the real response is then checked against its own application.
 */
export function corsPreflight(deps: FlowDeps, methods: string): MiddlewareHandler<AppEnv> {
  return async (c) => {
    const origin = parseOrigin(c.req.header('origin') ?? '');
    c.header('Vary', 'Origin');
    if (origin && (await isPreflightAllowed(deps, origin))) {
      allow(c, origin);
      c.header('Access-Control-Allow-Methods', methods);
      c.header('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      c.header('Access-Control-Max-Age', '600');
    }
    return c.body(null, 204);
  };
}
