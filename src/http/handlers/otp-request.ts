import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { requestOtp } from '../../flows/otp.js';
import type { AppEnv } from '../env.js';
import { OtpRequestBody, destinationOf } from '../schemas/otp.js';
import { parseJsonBody } from '../validate.js';

/** POST /auth/otp/request — SPEC §5.4. The same `{ ok: true }` whether or not the address is known. */
export const otpRequest = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const body = parseJsonBody(OtpRequestBody, await c.req.text());
  await requestOtp(deps, c.get('application'), { ...destinationOf(body), ...(body.name ? { name: body.name } : {}) });
  return c.json({ ok: true as const });
};
