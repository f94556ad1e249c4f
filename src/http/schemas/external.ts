import * as v from 'valibot';
import { CODE_CHALLENGE_PATTERN } from '../../protocol/pkce.js';
import { isStorableJson } from '../../protocol/text.js';
import { IsoTime, rule, text } from './common.js';

/** SPEC §5.1 claims: whole object ≤ 10,000 characters of JSON. */
export const MAX_CLAIMS_JSON_LENGTH = 10_000;

/** SPEC §5.1 request (seed 000 fields, plus `canonicalSubject` and `codeChallenge`). */
export const ExternalAuthorizeRequest = v.object({
  provider: text(1, 64),
  issuer: text(1, 2048),
  subject: text(1, 255),
  canonicalSubject: v.optional(text(1, 255)),
  claims: v.optional(
    v.pipe(
      // Known claims are typed; other keys are kept as sent.
      v.looseObject({ email: v.optional(text(0, 320)), fullName: v.optional(text(0, 512)), name: v.optional(text(0, 512)) }),
      // Issue 11.3: the claims kept as sent obey the same text rule as every other field.
      rule((claims: Record<string, unknown>) => isStorableJson(claims), 'claims must be well-formed text without U+0000, keys included', 'well-formed text'),
      rule(
        (claims) => JSON.stringify(claims).length <= MAX_CLAIMS_JSON_LENGTH,
        `claims must be at most ${MAX_CLAIMS_JSON_LENGTH} characters of JSON`,
        `<= ${MAX_CLAIMS_JSON_LENGTH} characters of JSON`,
      ),
    ),
  ),
  codeChallenge: v.optional(v.pipe(v.string(), v.regex(CODE_CHALLENGE_PATTERN, 'codeChallenge must be 43 base64url characters (S256)'))),
});

export const ExternalAuthorizeResponse = v.object({
  exchangeCode: v.string(),
  expiresAt: IsoTime,
  resolution: v.picklist(['created', 'existing', 'linked']),
});

/** SPEC §5.2 request. */
export const ExternalExchangeRequest = v.object({
  exchangeCode: text(1, 512),
  codeVerifier: v.optional(text(43, 128)),
});
