import type { MiddlewareHandler } from 'hono';
import { NotFound } from '../../protocol/errors.js';
import type { AppEnv } from '../env.js';

/**
 * The pattern of every path parameter of the route table. `id` is an authorization request of the
 * hosted pages (`azr_` + ULID, SPEC §1); `file` a theme stylesheet (`<application id>.css` or
 * `default.css`). A route naming a parameter missing here fails at start, so none goes unchecked.
 */
const PATH_PARAMETERS: Record<string, RegExp> = {
  id: /^azr_[0-9A-Za-z]{1,64}$/,
  file: /^[A-Za-z0-9_-]{1,80}\.css$/,
  // The admin API (SPEC §10): each resource's id, by its type prefix (SPEC §1).
  organizationId: /^org_[0-9A-Za-z]{1,64}$/,
  applicationId: /^app_[0-9A-Za-z]{1,64}$/,
  consumerId: /^con_[0-9A-Za-z]{1,64}$/,
  sessionId: /^ses_[0-9A-Za-z]{1,64}$/,
  grantId: /^grt_[0-9A-Za-z]{1,64}$/,
  adminTokenId: /^adm_[0-9A-Za-z]{1,64}$/,
  // SPEC §12: a passkey of the consumer API, API mode and the admin API.
  passkeyId: /^pkey_[0-9A-Za-z]{1,64}$/,
};

/**
 * Path parameters are input like any other (issue 11.3): each must match its pattern before a
 * handler (or a store) sees it. A segment that cannot name anything — U+0000, a lone surrogate, an
 * over-long value — names nothing: 404, as an unknown id would. No middleware for a path without
 * parameters.
 */
export function pathParamChecks(path: string): MiddlewareHandler<AppEnv>[] {
  const names = [...path.matchAll(/:(\w+)/g)].map((match) => match[1]!);
  if (names.length === 0) return [];
  for (const name of names) if (!PATH_PARAMETERS[name]) throw new Error(`route ${path}: path parameter :${name} has no pattern in path-params.ts`);
  return [
    async (c, next) => {
      for (const name of names) {
        const value = c.req.param(name);
        if (value === undefined || !PATH_PARAMETERS[name]!.test(value)) throw new NotFound(`no such ${name}`);
      }
      await next();
    },
  ];
}
