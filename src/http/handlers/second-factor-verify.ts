import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { verifySecondFactor } from '../../flows/second-factor.js';
import type { AppEnv } from '../env.js';
import { SecondFactorVerifyBody } from '../schemas/second-factor.js';
import { parseJsonBody } from '../validate.js';

/** POST /auth/second-factor/verify — SPEC §12: the SMS code completes a pending sign-in (AuthSession). */
export const secondFactorVerify = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const body = parseJsonBody(SecondFactorVerifyBody, await c.req.text());
  return c.json(await verifySecondFactor(deps, c.get('application'), { token: body.secondFactorToken, code: body.code }, c.get('guest')));
};
