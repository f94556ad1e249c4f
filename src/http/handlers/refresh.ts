import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { refreshConsumerSession } from '../../flows/refresh.js';
import { consumerDpopJkt } from '../dpop.js';
import type { AppEnv } from '../env.js';
import { RefreshRequest } from '../schemas/sessions.js';
import { parseJsonBody } from '../validate.js';

/** POST /auth/refresh — SPEC §5.5. */
export const refresh = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const body = parseJsonBody(RefreshRequest, await c.req.text());
  return c.json(await refreshConsumerSession(deps, c.get('application'), body.refreshToken, await consumerDpopJkt(deps, c)));
};
