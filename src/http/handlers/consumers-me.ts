import type { Handler } from 'hono';
import { getConsumerProfile } from '../../flows/consumer-profile.js';
import type { FlowDeps } from '../../flows/deps.js';
import type { AppEnv } from '../env.js';

/** GET /consumers/me — SPEC §5.7. */
export const consumersMe = (deps: FlowDeps): Handler<AppEnv> => async (c) => c.json(await getConsumerProfile(deps, c.get('principal')));
