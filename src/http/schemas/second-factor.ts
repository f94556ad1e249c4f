import * as v from 'valibot';
import { IsoTime, rule, text } from './common.js';

const secondFactorToken = text(1, 4096);
const SecondFactorKind = v.picklist(['totp', 'sms']);

/** A 6-digit code (SMS or authenticator app), named in its message. */
export const sixDigits = (name: string) => v.pipe(v.string(), v.regex(/^\d{6}$/, `${name} must be 6 digits`));
/** A recovery code as typed (`xxxxx-xxxxx`; case, spaces and dashes are ignored). */
export const recoveryCode = v.pipe(text(10, 32), v.regex(/^[A-Za-z0-9\s-]+$/, 'recoveryCode must be letters, digits and dashes'));

type Answer = { code?: string; totpCode?: string; recoveryCode?: string };
export const answers = (input: Answer) => [input.code, input.totpCode, input.recoveryCode].filter((value) => value !== undefined).length;

/** SPEC §12: the pending state `/auth/otp/verify` answers when the account has a second factor. */
export const SecondFactorRequiredBody = v.object({
  secondFactorRequired: v.literal(true),
  /** Back-compatible: `sms` when an SMS code can complete the sign-in, else `totp`. */
  secondFactor: SecondFactorKind,
  /** Every factor that can complete it, TOTP first; a recoveryCode stands in for `totp`. */
  secondFactors: v.array(SecondFactorKind),
  secondFactorToken: v.string(),
  /** Masked; present when `sms` is among the factors. */
  phoneNumber: v.optional(v.string()),
  expiresAt: IsoTime,
});

/** POST /auth/second-factor/request. */
export const SecondFactorRequestBody = v.object({ secondFactorToken });

/** POST /auth/second-factor/verify: exactly one of the SMS `code`, the authenticator app's `totpCode`, a `recoveryCode`. */
export const SecondFactorVerifyBody = v.pipe(
  v.object({ secondFactorToken, code: v.optional(sixDigits('code')), totpCode: v.optional(sixDigits('totpCode')), recoveryCode: v.optional(recoveryCode) }),
  rule((input) => answers(input) === 1, 'exactly one of code, totpCode or recoveryCode is required', 'exactly one of code, totpCode, recoveryCode'),
);

/** The proof that removes TOTP or regenerates recovery codes: a current `totpCode` or a `recoveryCode` (at most one). */
const ProofFields = { totpCode: v.optional(sixDigits('totpCode')), recoveryCode: v.optional(recoveryCode) };
const AT_MOST_ONE = 'send either totpCode or recoveryCode, not both';

/** DELETE …/second-factors/totp: a current code or a recovery code (nothing, to cancel a pending enrollment). */
export const TotpRemoveBody = v.pipe(
  v.object(ProofFields),
  rule((input) => answers(input) <= 1, AT_MOST_ONE, 'at most one of totpCode, recoveryCode'),
);

/** POST …/second-factors/recovery-codes: a current code or a recovery code. */
export const RecoveryCodesRegenerateBody = v.pipe(
  v.object(ProofFields),
  rule((input) => answers(input) === 1, 'exactly one of totpCode or recoveryCode is required', 'exactly one of totpCode, recoveryCode'),
);

/** POST …/second-factors/totp/confirm: the first code of the app. */
export const TotpConfirmBody = v.object({ totpCode: sixDigits('totpCode') });

/** 200 of POST …/second-factors/totp: shown once. */
export const TotpEnrollmentBody = v.object({
  secret: v.string(),
  otpauthUri: v.string(),
  qrCodeSvg: v.string(),
});

/** 200 of …/totp/confirm: the ten recovery codes, shown once. */
export const TotpConfirmedBody = v.object({ recoveryCodes: v.array(v.string()), enabledAt: IsoTime });

/** 200 of …/recovery-codes. */
export const RecoveryCodesBody = v.object({ recoveryCodes: v.array(v.string()) });

/** 200 of GET …/second-factors. */
export const SecondFactorListBody = v.object({
  secondFactors: v.array(
    v.variant('type', [
      v.object({ type: v.literal('totp'), enabledAt: IsoTime, recoveryCodesRemaining: v.number() }),
      v.object({ type: v.literal('sms'), phoneNumber: v.string() }),
    ]),
  ),
  isTotpEnrollmentPending: v.boolean(),
});
