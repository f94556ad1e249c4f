import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { verifySecondFactor, type SecondFactorAnswer } from '../../flows/second-factor.js';
import type { AppEnv } from '../env.js';
import { SecondFactorVerifyBody } from '../schemas/second-factor.js';
import { parseJsonBody } from '../validate.js';

/** The one answer the schema let through (exactly one of code, totpCode, recoveryCode). */
export function answerOf(body: { code?: string; totpCode?: string; recoveryCode?: string }): SecondFactorAnswer {
  if (body.code !== undefined) return { code: body.code };
  if (body.totpCode !== undefined) return { totpCode: body.totpCode };
  return { recoveryCode: body.recoveryCode! };
}

/**
 * POST /auth/second-factor/verify — SPEC §12: the SMS `code`, the authenticator app's `totpCode` or a
 * `recoveryCode` completes a pending sign-in (AuthSession).
 */
export const secondFactorVerify = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const body = parseJsonBody(SecondFactorVerifyBody, await c.req.text());
  return c.json(await verifySecondFactor(deps, c.get('application'), { token: body.secondFactorToken, ...answerOf(body) }, c.get('guest')));
};
