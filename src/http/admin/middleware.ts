import type { MiddlewareHandler } from 'hono';
import { authenticateAdminToken } from '../../flows/admin-tokens.js';
import type { FlowDeps } from '../../flows/deps.js';
import { AuthenticationRequired, Forbidden, InvalidToken } from '../../protocol/errors.js';
import type { AppEnv } from '../env.js';

const REALM = 'latchkey-admin';

/**
 * The admin API's credential (SPEC §10): `Authorization: Bearer lka_…`. No token → 401 with the
 * bare Bearer challenge (RFC 6750 §3.1: no error code when none was sent); an unknown, malformed or
 * revoked one → 401 `invalid_token`. A read-only token is refused every method but GET and HEAD
 * (403) — after it was authenticated, so a stranger learns nothing from the status. Puts the
 * principal on the context as `admin`.
 */
export function requireAdminToken(deps: FlowDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header === undefined || header.trim() === '') {
      const error = new AuthenticationRequired('an admin token is required: Authorization: Bearer lka_…');
      error.headers['WWW-Authenticate'] = `Bearer realm="${REALM}"`;
      throw error;
    }
    const match = /^Bearer +(\S+)\s*$/i.exec(header);
    let principal;
    try {
      if (!match) throw new InvalidToken('the Authorization header must be: Bearer lka_…');
      principal = await authenticateAdminToken(deps, match[1]!);
    } catch (error) {
      if (error instanceof InvalidToken) error.headers['WWW-Authenticate'] = `Bearer realm="${REALM}", error="invalid_token"`;
      throw error;
    }
    if (principal.readOnly && c.req.method !== 'GET' && c.req.method !== 'HEAD') throw new Forbidden('this admin token is read-only');
    c.set('admin', principal);
    await next();
  };
}
