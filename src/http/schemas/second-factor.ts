import * as v from 'valibot';
import { IsoTime, text } from './common.js';

const secondFactorToken = text(1, 4096);

/** SPEC §12: the pending state `/auth/otp/verify` answers when the account has a second factor. */
export const SecondFactorRequiredBody = v.object({
  secondFactorRequired: v.literal(true),
  secondFactor: v.literal('sms'),
  secondFactorToken: v.string(),
  phoneNumber: v.string(),
  expiresAt: IsoTime,
});

/** POST /auth/second-factor/request. */
export const SecondFactorRequestBody = v.object({ secondFactorToken });

/** POST /auth/second-factor/verify. */
export const SecondFactorVerifyBody = v.object({
  secondFactorToken,
  code: v.pipe(v.string(), v.regex(/^\d{6}$/, 'code must be 6 digits')),
});
