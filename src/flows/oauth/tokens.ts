import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, type JWTPayload } from 'jose';
import { ID_TOKEN_SIGNING_ALGORITHM } from '../../crypto/signing-keys.js';
import { InvalidToken } from '../../protocol/oauth-errors.js';
import type { Application, AuthorizationRequest, Session } from '../../storage/store.js';
import type { FlowDeps } from '../deps.js';

// Every JWT kind has its own `typ` (RFC 8725 §3.11), so none can pass for another.
/** RFC 9068 §2.1: JWT access tokens. */
export const OAUTH_ACCESS_TOKEN_TYP = 'at+jwt';
/** SPEC §6.2 user login token. */
export const LOGIN_TOKEN_TYP = 'login+jwt';
/** SPEC §6.1 authorization session (step 1 → step 3). */
export const AUTHORIZATION_SESSION_TYP = 'authz-session+jwt';
/** OpenID Connect Core §2 ID token. */
export const ID_TOKEN_TYP = 'JWT';

const nowSeconds = (deps: FlowDeps) => Math.floor(deps.clock.now() / 1000);

/** SPEC §6.1: the signed copy of an authorization request, valid 10 minutes, single use at step 3. */
export function signAuthorizationSession(deps: FlowDeps, request: AuthorizationRequest, application: Application): Promise<string> {
  return deps.keyring.sign(
    {
      iss: deps.issuer,
      aud: deps.issuer,
      client_id: application.publishableKey,
      jti: request.id,
      iat: Math.floor(request.createdAt / 1000),
      exp: Math.floor(request.expiresAt / 1000),
    },
    AUTHORIZATION_SESSION_TYP,
  );
}

/** SPEC §6.2 login token: `sub` the user, `sid` its revocable login session. */
export async function signLoginToken(deps: FlowDeps, session: Session, application: Application, ttlSeconds: number): Promise<string> {
  const iat = nowSeconds(deps);
  return deps.keyring.sign(
    {
      iss: deps.issuer, aud: deps.issuer, sub: session.consumerId, sid: session.id, org: session.organizationId,
      client_id: application.publishableKey, iat, exp: iat + ttlSeconds, jti: randomUUID(),
    },
    LOGIN_TOKEN_TYP,
  );
}

/**
 * RFC 9068 §2.2 access token: iss, exp, aud, sub, client_id, iat, jti, and scope when granted. `aud`
 * is this server (its `/v1/user` is the resource); `sid` ties the token to its revocable family.
 */
export async function signOAuthAccessToken(
  deps: FlowDeps,
  claims: { subject: string; application: Application; scope: string; sessionId?: string; organizationId: string },
  ttlSeconds: number,
): Promise<string> {
  const iat = nowSeconds(deps);
  return deps.keyring.sign(
    {
      iss: deps.issuer, aud: deps.issuer, sub: claims.subject, client_id: claims.application.publishableKey,
      ...(claims.scope ? { scope: claims.scope } : {}),
      ...(claims.sessionId ? { sid: claims.sessionId } : {}),
      org: claims.organizationId, iat, exp: iat + ttlSeconds, jti: randomUUID(),
    },
    OAUTH_ACCESS_TOKEN_TYP,
  );
}

/** OpenID Connect Core §2 ID token, for requests with the `openid` scope. */
export async function signIdToken(
  deps: FlowDeps,
  claims: { subject: string; application: Application; nonce: string | null; authTimeMs: number },
  ttlSeconds: number,
): Promise<string> {
  const iat = nowSeconds(deps);
  return deps.keyring.sign(
    {
      iss: deps.issuer, sub: claims.subject, aud: claims.application.publishableKey, iat, exp: iat + ttlSeconds,
      auth_time: Math.floor(claims.authTimeMs / 1000), ...(claims.nonce ? { nonce: claims.nonce } : {}),
    },
    ID_TOKEN_TYP,
    ID_TOKEN_SIGNING_ALGORITHM,
  );
}

/** Who a verified login or OAuth access token speaks for. */
export interface BearerPrincipal {
  kind: 'login' | 'oauth';
  payload: JWTPayload & { client_id?: string; scope?: string; sid?: string; org?: string };
  /** The live session behind the token; undefined for client_credentials tokens (no user). */
  session: Session | undefined;
}

/**
 * Verifies a login token or an OAuth access token (by its `typ`) and, when it belongs to a session,
 * that the session is still live (SPEC §4: revocation takes effect at once). 401 invalid_token
 * otherwise (RFC 6750 §3.1).
 */
export async function authenticateBearer(deps: FlowDeps, token: string, accept: ReadonlyArray<'login' | 'oauth'>): Promise<BearerPrincipal> {
  let typ: unknown;
  try {
    typ = decodeProtectedHeader(token).typ;
  } catch (error) {
    throw new InvalidToken('the access token is malformed', { cause: error });
  }
  const kind = typ === LOGIN_TOKEN_TYP ? 'login' : typ === OAUTH_ACCESS_TOKEN_TYP ? 'oauth' : undefined;
  if (!kind || !accept.includes(kind)) throw new InvalidToken('this kind of token is not accepted here');
  let payload;
  try {
    payload = await deps.keyring.verify(token, { issuer: deps.issuer, audience: deps.issuer, typ: typ as string, requiredClaims: ['sub', 'exp', 'iat'] });
  } catch (error) {
    throw new InvalidToken('the access token is invalid or expired', { cause: error });
  }
  const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
  if (kind === 'login' && !sid) throw new InvalidToken('the login token has no session');
  if (!sid) {
    // A client_credentials token: live unless its jti is on the revocation list.
    if (typeof payload.jti !== 'string' || (await deps.store.isAccessTokenRevoked(payload.jti))) throw new InvalidToken('the access token was revoked');
    return { kind, payload: payload as BearerPrincipal['payload'], session: undefined };
  }
  const session = await deps.store.getSession(sid);
  if (!session || session.revokedAt !== null || session.kind !== kind || session.consumerId !== payload.sub) {
    throw new InvalidToken('the session of this token has ended');
  }
  return { kind, payload: payload as BearerPrincipal['payload'], session };
}
