/** The source of "now" for every expiry decision; tests inject a controllable one. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** ISO 8601 UTC with milliseconds, the API's only timestamp format (SPEC §1). */
export function toIsoTime(ms: number): string {
  return new Date(ms).toISOString();
}
