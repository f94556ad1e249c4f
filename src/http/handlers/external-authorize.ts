import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { authorizeExternalIdentity } from '../../flows/external-authorize.js';
import type { AppEnv } from '../env.js';
import { ExternalAuthorizeRequest } from '../schemas/external.js';
import { parseJsonBody } from '../validate.js';

/** POST /auth/external/authorize — SPEC §5.1, seed 000. */
export const externalAuthorize = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const body = parseJsonBody(ExternalAuthorizeRequest, await c.req.text());
  return c.json(await authorizeExternalIdentity(deps, c.get('application'), body));
};
