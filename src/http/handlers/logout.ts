import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { logoutConsumer } from '../../flows/logout.js';
import type { AppEnv } from '../env.js';

/** POST /auth/logout — SPEC §5.6. */
export const logout = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  await logoutConsumer(deps, c.get('principal'));
  return c.body(null, 204);
};
