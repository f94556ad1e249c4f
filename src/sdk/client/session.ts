import type { AuthSession, RefreshedTokens } from '../shared/wire.js';

/** The signed-in person as the API described them (SPEC §5 AuthSession `session`), `expiresAt` kept current. */
export type LatchkeySession = AuthSession['session'];

/** What the client stores for a session: its tokens and when, on this browser's clock, they expire. */
export interface StoredSession {
  session: LatchkeySession;
  accessToken: string;
  /** Local time (ms) at which the access token expires: its lifetime counted from its arrival, so a skewed clock does not matter. */
  accessTokenExpiresAtMs: number;
  refreshToken: string;
  refreshTokenExpiresAtMs: number;
  beaconToken: string;
}

/** The access token's lifetime in ms (`exp - iat` of its payload), or what the server's instant implies. */
function lifetimeMs(accessToken: string, expiresAt: string, now: number): number {
  try {
    const part = accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const { iat, exp } = JSON.parse(atob(part)) as { iat?: number; exp?: number };
    if (typeof iat === 'number' && typeof exp === 'number') return (exp - iat) * 1000;
  } catch {
    // Not a JWT we can read: fall back to the server's clock.
  }
  return Date.parse(expiresAt) - now;
}

/** A session just started (exchange, guest, OTP). */
export function storedFromAuthSession(body: AuthSession, now: number): StoredSession {
  return {
    session: body.session,
    accessToken: body.accessToken,
    accessTokenExpiresAtMs: now + lifetimeMs(body.accessToken, body.session.expiresAt, now),
    refreshToken: body.refreshToken,
    refreshTokenExpiresAtMs: now + body.refreshTokenTtlSeconds * 1000,
    beaconToken: body.beaconToken,
  };
}

/** The same session after a refresh (SPEC §5.5). */
export function storedFromRefresh(previous: StoredSession, body: RefreshedTokens, now: number): StoredSession {
  return {
    session: { ...previous.session, expiresAt: body.accessTokenExpiresAt },
    accessToken: body.accessToken,
    accessTokenExpiresAtMs: now + lifetimeMs(body.accessToken, body.accessTokenExpiresAt, now),
    refreshToken: body.refreshToken,
    refreshTokenExpiresAtMs: now + body.refreshTokenTtlSeconds * 1000,
    beaconToken: body.beaconToken,
  };
}

/** A stored value read back; anything unreadable counts as no session. */
export function parseStored(raw: string | null | undefined): StoredSession | null {
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as StoredSession;
    return typeof value.refreshToken === 'string' && typeof value.accessToken === 'string' ? value : null;
  } catch {
    return null;
  }
}
