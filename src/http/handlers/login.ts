import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { loginWithPassword, logoutUser, sendLoginOtp } from '../../flows/login.js';
import type { AppEnv } from '../env.js';
import { LoginOtpRequest, LoginRequest } from '../schemas/login.js';
import { parseJsonBody } from '../validate.js';

/** POST /v1/auth/login — SPEC §6.2 step 2. */
export const login = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const body = parseJsonBody(LoginRequest, await c.req.text());
  return c.json(await loginWithPassword(deps, c.get('application'), body));
};

/** POST /v1/auth/login/otp — SPEC §6.2: sends the second-factor code; the same answer for any userId. */
export const loginOtp = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const body = parseJsonBody(LoginOtpRequest, await c.req.text());
  await sendLoginOtp(deps, c.get('application'), body.userId);
  return c.json({ success: true as const });
};

/** POST /v1/auth/logout — SPEC §6.2: the login token is dead at once. */
export const loginLogout = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  await logoutUser(deps, c.get('bearer'));
  return c.json({ success: true as const });
};

