import * as v from 'valibot';
import { text } from './common.js';

/** SPEC §6.2 request. */
export const LoginRequest = v.object({
  email: v.pipe(text(3, 320), v.email('email must be a valid address')),
  password: text(1, 1024),
  otpCode: v.optional(v.pipe(v.string(), v.regex(/^\d{6}$/, 'otpCode must be 6 digits'))),
});

/** SPEC §6.2 response. */
export const LoginResponse = v.object({
  accessToken: v.nullable(v.string()),
  userId: v.string(),
  isOtpRequired: v.boolean(),
  phoneNumber: v.nullable(v.string()),
});

export const LoginOtpRequest = v.object({ userId: text(1, 64) });

export const SuccessBody = v.object({ success: v.literal(true) });
