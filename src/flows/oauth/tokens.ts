import { createHash, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, type JWTPayload } from 'jose';
import { ID_TOKEN_SIGNING_ALGORITHM, SIGNING_ALGORITHM } from '../../crypto/signing-keys.js';
import { InvalidToken } from '../../protocol/oauth-errors.js';
import type { Application, AuthorizationRequest, Session } from '../../storage/store.js';
import { findApplicationByPublishableKey } from '../applications.js';
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

/**
 * SPEC §9: OAuth access tokens are EdDSA, or RS256 for an application that asked for it (RFC 9068
 * §2.1); Latchkey's own endpoints accept either. Every other kind of token stays EdDSA only.
 */
export const OAUTH_ACCESS_TOKEN_ALGORITHMS = [SIGNING_ALGORITHM, ID_TOKEN_SIGNING_ALGORITHM];

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
 * is the resource the token was asked for (RFC 8707 §2, RFC 9068 §3), else this server (its
 * `/v1/user` and UserInfo are the resources); `sid` ties the token to its revocable family. Signed
 * with the application's `accessTokenAlg` (SPEC §9: EdDSA, or RS256).
 */
export async function signOAuthAccessToken(
  deps: FlowDeps,
  claims: { subject: string; application: Application; scope: string; sessionId?: string; organizationId: string; dpopJkt?: string | undefined; resource?: string },
  ttlSeconds: number,
): Promise<string> {
  const iat = nowSeconds(deps);
  return deps.keyring.sign(
    {
      iss: deps.issuer, aud: claims.resource ?? deps.issuer, sub: claims.subject, client_id: claims.application.publishableKey,
      ...(claims.scope ? { scope: claims.scope } : {}),
      ...(claims.sessionId ? { sid: claims.sessionId } : {}),
      org: claims.organizationId, iat, exp: iat + ttlSeconds, jti: randomUUID(),
      // RFC 9449 §6.1: a DPoP-bound token names the key's thumbprint.
      ...(claims.dpopJkt ? { cnf: { jkt: claims.dpopJkt } } : {}),
    },
    OAUTH_ACCESS_TOKEN_TYP,
    claims.application.accessTokenAlg,
  );
}

/**
 * OpenID Connect Core §3.1.3.6 `at_hash`: the left-most half of the hash of the access token's
 * ASCII octets, base64url — SHA-256, the hash of the ID token's RS256.
 */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

/** What an ID token says beyond the registered claims every one of them carries. */
export interface IdTokenClaims {
  subject: string;
  application: Application;
  /** The access token issued with it (its `at_hash`). */
  accessToken: string;
  /** Core §2: only in the ID token of the authorization code grant, never in a refreshed one (§12.2). */
  nonce: string | null;
  /** When the person authenticated (ms); unknown for a token family from before it was kept. */
  authTimeMs: number | null;
  /** The browser's login session (`sid`), when a browser session authenticated the person. */
  browserSessionId: string | null;
  /** Claims about the person the `claims` parameter asked for in the ID token (Core §5.5). */
  userClaims: Record<string, unknown>;
}

/**
 * OpenID Connect Core §2 ID token, for requests with the `openid` scope: `iss sub aud exp iat
 * auth_time azp sid at_hash`, `nonce` when the request had one, and the person's claims only where
 * the `claims` parameter asked for them under `id_token` (Core §5.4: scope claims go to UserInfo).
 * RS256, `typ: JWT`; no endpoint of this server accepts it as a credential.
 */
export async function signIdToken(deps: FlowDeps, claims: IdTokenClaims, ttlSeconds: number): Promise<string> {
  const iat = nowSeconds(deps);
  const clientId = claims.application.publishableKey;
  return deps.keyring.sign(
    {
      ...claims.userClaims,
      iss: deps.issuer, sub: claims.subject, aud: clientId, exp: iat + ttlSeconds, iat,
      ...(claims.authTimeMs !== null ? { auth_time: Math.floor(claims.authTimeMs / 1000) } : {}),
      ...(claims.nonce ? { nonce: claims.nonce } : {}),
      // Core §2: azp is the party the token was issued to.
      azp: clientId,
      ...(claims.browserSessionId ? { sid: claims.browserSessionId } : {}),
      at_hash: accessTokenHash(claims.accessToken),
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
export async function authenticateBearer(
  deps: FlowDeps,
  token: string,
  accept: ReadonlyArray<'login' | 'oauth'>,
  options: { anyAudience?: boolean } = {},
): Promise<BearerPrincipal> {
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
    payload = await deps.keyring.verify(token, {
      // RFC 8707: a token for another resource is not a credential here — except to introspection,
      // which reports on every token this server issued (`anyAudience`).
      issuer: deps.issuer, ...(options.anyAudience ? {} : { audience: deps.issuer }), typ: typ as string, requiredClaims: ['sub', 'exp', 'iat'],
      // SPEC §9: access tokens under either algorithm; login tokens (and every other kind) EdDSA only.
      algorithms: kind === 'oauth' ? OAUTH_ACCESS_TOKEN_ALGORITHMS : [SIGNING_ALGORITHM],
    });
  } catch (error) {
    throw new InvalidToken('the access token is invalid or expired', { cause: error });
  }
  const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
  if (kind === 'login' && !sid) throw new InvalidToken('the login token has no session');
  // SPEC §10: the tokens of a disabled application stop working at once. Looked up by the token's
  // client_id alongside the session (or revocation) check, so it adds no wait.
  const client = typeof payload.client_id === 'string' ? findApplicationByPublishableKey(deps, payload.client_id) : Promise.resolve(undefined);
  if (!sid) {
    // A client_credentials token: live unless its jti is on the revocation list.
    const [revoked, application] = await Promise.all([typeof payload.jti === 'string' ? deps.store.isAccessTokenRevoked(payload.jti) : true, client]);
    if (revoked) throw new InvalidToken('the access token was revoked');
    if (!application) throw new InvalidToken('the application of this token is unknown or disabled');
    return { kind, payload: payload as BearerPrincipal['payload'], session: undefined };
  }
  const [session, application] = await Promise.all([deps.store.getSession(sid), client]);
  if (!application) throw new InvalidToken('the application of this token is unknown or disabled');
  if (!session || session.revokedAt !== null || session.kind !== kind || session.consumerId !== payload.sub) {
    throw new InvalidToken('the session of this token has ended');
  }
  return { kind, payload: payload as BearerPrincipal['payload'], session };
}
