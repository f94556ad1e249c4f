import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { requestSecondFactorCode } from '../../flows/second-factor.js';
import type { AppEnv } from '../env.js';
import { SecondFactorRequestBody } from '../schemas/second-factor.js';
import { parseJsonBody } from '../validate.js';

/** POST /auth/second-factor/request — SPEC §12: sends the SMS code of a pending sign-in. */
export const secondFactorRequest = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const body = parseJsonBody(SecondFactorRequestBody, await c.req.text());
  await requestSecondFactorCode(deps, c.get('application'), body.secondFactorToken);
  return c.json({ ok: true as const });
};
