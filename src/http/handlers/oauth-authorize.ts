import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { authorizeRequest } from '../../flows/oauth/authorize.js';
import { requireParam } from '../../protocol/oauth-params.js';
import type { AppEnv } from '../env.js';
import { readOAuthParams } from '../oauth/params.js';

/** POST /v1/auth/oauth/authorize — SPEC §6.3, seed 001: `{ token }` → `{ url, code, state }`. */
export const oauthAuthorize = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const params = await readOAuthParams(c);
  return c.json(await authorizeRequest(deps, c.get('application'), c.get('bearer'), requireParam(params, 'token')));
};
