import { randomUUID } from 'node:crypto';
import { hmacSha256 } from '../crypto/hash.js';
import { generateSecret } from '../crypto/random.js';
import { toIsoTime } from '../protocol/clock.js';
import { BEACON_TOKEN_TTL_SECONDS } from '../protocol/lifetimes.js';
import type { Application, OrganizationSettings, Session } from '../storage/store.js';
import type { FlowDeps } from './deps.js';

/**
 * JOSE `typ` of consumer access tokens. Every JWT kind has its own (RFC 8725 §3.11) so none passes for
 * another: not `JWT`, which ID tokens keep as OpenID Connect expects, and not RFC 9068's `at+jwt`,
 * which SPEC §4 gives OAuth access tokens (these carry neither `client_id` nor `scope`).
 */
export const CONSUMER_ACCESS_TOKEN_TYP = 'consumer+jwt';
/** JOSE `typ` of beacon tokens (analytics only; never accepted as an access token). */
export const BEACON_TOKEN_TYP = 'beacon+jwt';

export interface AccessTokens {
  accessToken: string;
  accessTokenExpiresAt: string;
  beaconToken: string;
}

/**
 * Signs a consumer access token (SPEC §4 claims: iss, sub, aud, org, sid, session_type, iat, exp,
 * jti) and a beacon token for the session. `aud` is the application's publishable key, its client id.
 */
export async function issueAccessTokens(
  deps: FlowDeps,
  session: Session,
  application: Application,
  settings: OrganizationSettings,
): Promise<AccessTokens> {
  const iat = Math.floor(deps.clock.now() / 1000);
  const exp = iat + settings.accessTokenTtlSeconds;
  const common = { iss: deps.issuer, sub: session.consumerId, org: session.organizationId, sid: session.id, iat };
  const [accessToken, beaconToken] = await Promise.all([
    deps.keyring.sign(
      {
        ...common, aud: application.publishableKey, session_type: session.type, exp, jti: randomUUID(),
        // RFC 9449 §6.1: the tokens of a DPoP-bound session name its key.
        ...(session.dpopJkt ? { cnf: { jkt: session.dpopJkt } } : {}),
      },
      CONSUMER_ACCESS_TOKEN_TYP,
    ),
    deps.keyring.sign(
      { ...common, aud: `${deps.issuer}/beacon`, scope: 'beacon', exp: iat + BEACON_TOKEN_TTL_SECONDS, jti: randomUUID() },
      BEACON_TOKEN_TYP,
    ),
  ]);
  deps.metrics.tokenIssued('consumer_access');
  return { accessToken, accessTokenExpiresAt: toIsoTime(exp * 1000), beaconToken };
}

/** A fresh refresh token: `rt_` + 256 random bits (SPEC §4). */
export function generateRefreshToken(): string {
  return generateSecret('rt_');
}

/**
 * The successor of a refresh token, derived by HMAC under a server key rather than stored: the reuse
 * window (SPEC §4) can hand the same successor out again without it ever being kept in clear.
 */
export function deriveSuccessorRefreshToken(deps: FlowDeps, refreshToken: string): string {
  return `rt_${hmacSha256(deps.serverKeys.refreshSuccessorKey, refreshToken)}`;
}
