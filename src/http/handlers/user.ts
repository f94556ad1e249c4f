import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { getUserInfo } from '../../flows/oauth/user-info.js';
import type { AppEnv } from '../env.js';

/** GET /v1/user — SPEC §6.7: the user of a login token or OAuth access token. */
export const user = (deps: FlowDeps): Handler<AppEnv> => async (c) => c.json(await getUserInfo(deps, c.get('bearer')));
