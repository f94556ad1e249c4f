import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { verifyOtp } from '../../flows/otp.js';
import { consumerDpopJkt } from '../dpop.js';
import type { AppEnv } from '../env.js';
import { OtpVerifyBody, destinationOf } from '../schemas/otp.js';
import { parseJsonBody } from '../validate.js';

/** POST /auth/otp/verify — SPEC §5.4; a guest's access token sent along is linked. */
export const otpVerify = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const body = parseJsonBody(OtpVerifyBody, await c.req.text());
  const dpopJkt = await consumerDpopJkt(deps, c);
  return c.json(await verifyOtp(deps, c.get('application'), { ...destinationOf(body), code: body.code, ...(dpopJkt ? { dpopJkt } : {}) }, c.get('guest')));
};
