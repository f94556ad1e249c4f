import * as v from 'valibot';
import { text } from './common.js';
import { recoveryCode } from './second-factor.js';

/** SPEC §6.2, §12: what may come with a first factor in API mode when the person has a second factor. */
export const LoginSecondFactorFields = {
  /** The SMS code — or, for a person whose only second factor is an authenticator app, its code. */
  otpCode: v.optional(v.pipe(v.string(), v.regex(/^\d{6}$/, 'otpCode must be 6 digits'))),
  /** SPEC §12: the authenticator app's code. */
  totpCode: v.optional(v.pipe(v.string(), v.regex(/^\d{6}$/, 'totpCode must be 6 digits'))),
  /** SPEC §12: one of the person's recovery codes, instead of the app's code. */
  recoveryCode: v.optional(recoveryCode),
};

/** SPEC §6.2 request. */
export const LoginRequest = v.object({
  email: v.pipe(text(3, 320), v.email('email must be a valid address')),
  password: text(1, 1024),
  ...LoginSecondFactorFields,
});

/** SPEC §6.2 response. */
export const LoginResponse = v.object({
  accessToken: v.nullable(v.string()),
  userId: v.string(),
  isOtpRequired: v.boolean(),
  phoneNumber: v.nullable(v.string()),
  /** SPEC §12, with isOtpRequired: the factors that can complete the sign-in, TOTP first. */
  secondFactors: v.optional(v.array(v.picklist(['totp', 'sms']))),
});

export const LoginOtpRequest = v.object({ userId: text(1, 64) });

export const SuccessBody = v.object({ success: v.literal(true) });
