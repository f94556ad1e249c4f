/** SPEC §4: an exchange code lives 60 seconds, and this is not configurable. */
export const EXCHANGE_CODE_TTL_SECONDS = 60;
/** SPEC §4: a one-time passcode lives 10 minutes. */
export const OTP_TTL_SECONDS = 600;
/** SPEC §4: the fifth wrong try burns the code. */
export const OTP_MAX_ATTEMPTS = 5;
/** Issue 3: one code per destination per minute. */
export const OTP_RESEND_COOLDOWN_SECONDS = 60;
/** SPEC §5: the beacon token lives one hour. */
export const BEACON_TOKEN_TTL_SECONDS = 3600;
/**
 * The longest lifetime of any JWT whose lifetime is not an organization setting (login tokens and
 * OAuth access tokens, SPEC §4: 6 h). Key retirement waits at least this long.
 */
export const LONGEST_FIXED_JWT_TTL_SECONDS = 6 * 3600;
/** Leeway for clocks of verifiers that run slightly ahead or behind. */
export const CLOCK_SKEW_SECONDS = 60;

/** Lifetimes of SPEC §4 an organization starts with and may change. */
export const DEFAULT_ORGANIZATION_SETTINGS = Object.freeze({
  accessTokenTtlSeconds: 3600,
  refreshTokenTtlSeconds: 30 * 86400,
  refreshReuseIntervalSeconds: 10,
  loginTokenTtlSeconds: 6 * 3600,
  oauthAccessTokenTtlSeconds: 21600,
  oauthRefreshTokenTtlSeconds: 15897600,
});

/** SPEC §4: an authorization code lives 60 s; an authorization session (step 1) 10 min. */
export const AUTHORIZATION_CODE_TTL_SECONDS = 60;
export const AUTHORIZATION_SESSION_TTL_SECONDS = 600;
/** RFC 9126 §2.2 / SPEC §13: a pushed authorization request's `request_uri` lives 60 s. */
export const PUSHED_AUTHORIZATION_REQUEST_TTL_SECONDS = 60;
