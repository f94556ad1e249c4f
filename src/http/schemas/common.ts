import * as v from 'valibot';

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
 * A bounded string that is safe to store in any text column: U+0000 is refused because PostgreSQL
 * text cannot hold it (SQLite can), and both engines must answer alike.
 */
export const text = (minLength: number, maxLength: number) =>
  v.pipe(v.string(), v.minLength(minLength), v.maxLength(maxLength), v.check((value) => !value.includes('\0'), 'must not contain U+0000'));
