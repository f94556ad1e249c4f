import * as v from 'valibot';
import { isStorableText } from '../../protocol/text.js';

/** `{ error, message }` — every consumer-API error but validation (SPEC §3). */
export const ErrorBody = v.object({ error: v.string(), message: v.string() });

/** The 400 body of seed 000. */
export const ValidationErrorBody = v.object({
  error: v.literal('validation_error'),
  issues: v.array(
    v.object({
      kind: v.string(),
      type: v.string(),
      expected: v.string(),
      received: v.string(),
      message: v.string(),
      path: v.array(v.object({ type: v.string(), origin: v.string(), input: v.unknown(), key: v.string() })),
    }),
  ),
});

/** 500: only the request id, so support can find the log line (SPEC §3). */
export const InternalErrorBody = v.object({ error: v.pipe(v.string(), v.value('internal_error')), requestId: v.string() });

/** 429 (SPEC §3). */
export const RateLimitedBody = v.object({ error: v.pipe(v.string(), v.value('rate_limit_exceeded')), message: v.string(), retryAfter: v.number() });

/** ISO 8601 UTC instant (SPEC §1). */
export const IsoTime = v.pipe(v.string(), v.isoTimestamp());

/**
 * A check whose issue names what was expected, as seed 000 requires a string `expected` on every
 * issue (Valibot's plain `check` leaves it null).
 */
export const rule = <T>(predicate: (input: T) => boolean, message: string, expected: string) =>
  v.rawCheck<T>(({ dataset, addIssue }) => {
    if (dataset.typed && !predicate(dataset.value)) addIssue({ message, expected, received: 'invalid' });
  });

/**
 * A bounded string that is safe to store in any text column (the shared rule of protocol/text.ts):
 * no U+0000 (PostgreSQL text cannot hold it) and no lone surrogate, so both engines store exactly
 * what was sent.
 */
export const text = (minLength: number, maxLength: number) =>
  v.pipe(
    v.string(),
    v.minLength(minLength),
    v.maxLength(maxLength),
    rule<string>(isStorableText, 'must be well-formed text without U+0000', 'well-formed text'),
  );
