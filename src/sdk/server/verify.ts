import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { InvalidToken } from '../shared/errors.js';

/** SPEC §4 consumer access token claims. */
export interface ConsumerAccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  /** The application's publishable key. */
  aud: string;
  org: string;
  sid: string;
  session_type: 'guest' | 'authenticated';
  iat: number;
  exp: number;
  jti: string;
}

/** RFC 9068 §2.2 OAuth access token claims (SPEC §4). */
export interface OAuthAccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  client_id: string;
  scope?: string;
  iat: number;
  exp: number;
  jti: string;
}

/** Either kind of access token; an OAuth token has `client_id`, a consumer token `session_type`. */
export type AccessTokenClaims = ConsumerAccessTokenClaims | OAuthAccessTokenClaims;

export type AccessTokenKind = 'consumer' | 'oauth';

export interface VerifyAccessTokenOptions {
  /** The issuer exactly as Latchkey names itself (its `LATCHKEY_ISSUER`). */
  issuer: string;
  /**
   * Required `aud`: your publishable key for consumer tokens; for OAuth tokens the issuer, or your API's
   * resource identifier when clients ask for it with `resource` (RFC 8707; see `protectedResource`).
   * Not checked when absent.
   */
  audience?: string | string[];
  /** Which access tokens to accept (default both). */
  accept?: AccessTokenKind[];
  /** Where the keys are (default `<issuer>/.well-known/jwks.json`). */
  jwksUri?: string;
  /** At most one JWKS fetch per this many seconds, however many unknown `kid`s arrive (default 5). */
  jwksCooldownSeconds?: number;
  /** Leeway for `exp`/`iat` against this machine's clock (default 5 s). */
  clockToleranceSeconds?: number;
  /** The time to verify at (tests); now by default. */
  currentDate?: Date;
}

/**
 * RFC 8725 §3.11: each kind of Latchkey JWT has its own `typ`; only access tokens pass here — never
 * an ID token (`JWT`), a beacon, login or authorization-session token.
 */
const TYP: Record<AccessTokenKind, string> = { consumer: 'consumer+jwt', oauth: 'at+jwt' };

/** Latchkey signs with EdDSA (Ed25519), and OAuth access tokens with RS256 when the application asks. */
const ALGORITHMS = ['EdDSA', 'RS256'];

const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/**
 * The JWKS of `uri`, cached per URI and cooldown: jose refetches it on an unknown `kid` (a rotation,
 * SPEC §4), but never within the cooldown, so a stream of forged `kid`s cannot make us hammer it.
 */
function keySetOf(uri: string, cooldownSeconds: number) {
  const cacheKey = `${cooldownSeconds} ${uri}`;
  let keySet = keySets.get(cacheKey);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(uri), { cooldownDuration: cooldownSeconds * 1000 });
    keySets.set(cacheKey, keySet);
  }
  return keySet;
}

/** `typ` compared as RFC 7515 §4.1.9 says: case-insensitive, `application/` optional. */
const normalizeTyp = (typ: unknown) => (typeof typ === 'string' ? typ.toLowerCase().replace(/^application\//, '') : '');

/**
 * SPEC §11: verifies a Latchkey access token offline (signature by a published key, `iss`, `exp`,
 * `aud` when given, `typ`). Throws `InvalidToken` (RFC 6750 §3.1) with the reason. Offline checks
 * cannot see a logout before `exp` (SPEC §4); use introspection when that matters.
 */
export async function verifyAccessToken(token: string, options: VerifyAccessTokenOptions): Promise<AccessTokenClaims> {
  const issuer = options.issuer.replace(/\/+$/, '');
  const keySet = keySetOf(options.jwksUri ?? `${issuer}/.well-known/jwks.json`, options.jwksCooldownSeconds ?? 5);
  const accepted = (options.accept ?? ['consumer', 'oauth']).map((kind) => TYP[kind]);
  try {
    const { payload, protectedHeader } = await jwtVerify(token, keySet, {
      issuer,
      algorithms: ALGORITHMS,
      requiredClaims: ['sub', 'exp', 'iat'],
      clockTolerance: options.clockToleranceSeconds ?? 5,
      ...(options.audience === undefined ? {} : { audience: options.audience }),
      ...(options.currentDate ? { currentDate: options.currentDate } : {}),
    });
    if (!accepted.includes(normalizeTyp(protectedHeader.typ))) throw new Error(`a token of typ "${String(protectedHeader.typ)}" is not an accepted access token`);
    return payload as AccessTokenClaims;
  } catch (error) {
    throw new InvalidToken('invalid_token', error instanceof Error ? error.message : 'invalid access token', { status: 401, cause: error });
  }
}
