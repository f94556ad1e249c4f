import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { startGuestSession } from '../../flows/guest.js';
import { consumerDpopJkt } from '../dpop.js';
import type { AppEnv } from '../env.js';

/** POST /auth/guest — SPEC §5.3. No body. */
export const guest = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const dpopJkt = await consumerDpopJkt(deps, c);
  return c.json(await startGuestSession(deps, c.get('application'), dpopJkt ? { dpopJkt } : {}));
};
