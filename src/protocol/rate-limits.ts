/** The limits of SPEC §3 429s, by endpoint class and key. */
export type RateLimitName =
  | 'otpRequestPerDestination'
  | 'otpRequestPerIp'
  | 'otpVerifyPerDestination'
  | 'guestPerIp'
  | 'externalAuthorizePerApplication'
  | 'loginPerIp'
  | 'loginFailuresPerAccount'
  | 'secondFactorPerConsumer'
  | 'accountChangesPerIp'
  | 'registrationPerIp'
  | 'metadataDocumentPerIp';

/** A fixed-window limit: `points` requests per `durationSeconds`. */
export interface RateLimitRule {
  readonly points: number;
  readonly durationSeconds: number;
}

/** Counts requests per rule and key; throws RateLimited (429, SPEC §3) past the rule's points. */
export interface RateLimits {
  consume(name: RateLimitName, key: string): Promise<void>;
  /**
   * Throws RateLimited when `key` has no point left, taking none: the gate of a budget that is
   * charged only once the work it pays for has happened (see `charge`).
   */
  check(name: RateLimitName, key: string): Promise<void>;
  /** Takes a point from `key` without ever refusing: the work was done (an OTP was issued). */
  charge(name: RateLimitName, key: string): Promise<void>;
  /** Forgets `key`'s count (a lockout counts consecutive failures: a success starts over). */
  reset(name: RateLimitName, key: string): Promise<void>;
}
