import { createHash } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { expect } from 'vitest';
import { generateId } from '../../src/crypto/random.js';
import { createApplication } from '../../src/flows/applications.js';
import { signAuthorizationSession } from '../../src/flows/oauth/tokens.js';
import type { Application } from '../../src/storage/store.js';
import { authorizeStep3, basicOf, loginToken, pkce, tokenRequest, type OAuthApp } from './oauth.js';
import type { TestServer } from './server.js';

export const ALL_SCOPES = ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'];

/** An OAuth client allowed every OpenID Connect scope, with the given access-token algorithm and PKCE policy. */
export async function createOidcApp(
  server: TestServer,
  options: { type?: 'confidential' | 'public'; accessTokenAlg?: Application['accessTokenAlg']; pkcePolicy?: Application['pkcePolicy'] } = {},
): Promise<OAuthApp> {
  const { deps } = server.server.runtime;
  const organizationId = (await deps.store.findOrganizationByName('default'))!.id;
  const { application, secretKey } = await createApplication(deps, {
    organizationId, name: 'OIDC client', type: options.type ?? 'confidential', environment: 'test',
    redirectUris: ['https://rp.example/cb'], allowedScopes: ALL_SCOPES,
    ...(options.accessTokenAlg ? { accessTokenAlg: options.accessTokenAlg } : {}),
    ...(options.pkcePolicy ? { pkcePolicy: options.pkcePolicy } : {}),
  });
  return { id: application.id, publishableKey: application.publishableKey, secretKey, redirectUri: 'https://rp.example/cb' };
}

/**
 * An authorization code for `user`, from a request stored as step 1 would store it (with or without
 * a PKCE challenge, with a `claims` request), then step 3 over HTTP with the user's login token.
 * Step 1 itself belongs to another part of issue 14; storing its outcome keeps these tests about
 * the token endpoint and UserInfo.
 */
export async function codeFor(
  server: TestServer,
  app: OAuthApp,
  user: { email: string; password: string },
  options: { scope: string; nonce?: string; claims?: object; withPkce?: boolean },
): Promise<{ code: string; verifier: string | undefined; userToken: string }> {
  const { deps } = server.server.runtime;
  const application = (await deps.store.getApplication(app.id))!;
  const { verifier, challenge } = pkce();
  const isPkce = options.withPkce ?? true;
  const now = server.clock.now();
  const request = {
    id: generateId('azr_', now), organizationId: application.organizationId, applicationId: application.id,
    redirectUri: app.redirectUri, state: null, codeChallenge: isPkce ? challenge : null, scope: options.scope, nonce: options.nonce ?? null,
    prompt: null, maxAge: null, loginHint: null, idTokenHintSubject: null, claims: options.claims ? JSON.stringify(options.claims) : null,
    createdAt: now, expiresAt: now + 600_000, consumedAt: null,
  };
  await deps.store.createAuthorizationRequest(request);
  const sessionToken = await signAuthorizationSession(deps, request, application);
  const userToken = await loginToken(server, app, user.email, user.password);
  const authorized = await authorizeStep3(server, app, userToken, sessionToken);
  expect(authorized.status).toBe(200);
  return { code: (await authorized.json()).code, verifier: isPkce ? verifier : undefined, userToken };
}

/** Step 4 for a code, with the verifier when there is one. */
export async function exchange(server: TestServer, app: OAuthApp, code: string, verifier: string | undefined): Promise<any> {
  const response = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, ...(verifier ? { code_verifier: verifier } : {}) }, basicOf(app));
  expect(response.status).toBe(200);
  return response.json();
}

/** Verifies an ID token as a relying party does: against the published JWKS, RS256 only, this client as audience. */
export async function verifyIdToken(server: TestServer, idToken: string, app: OAuthApp) {
  return jwtVerify(idToken, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)), {
    issuer: server.url, audience: app.publishableKey, algorithms: ['RS256'], currentDate: new Date(server.clock.now()), typ: 'JWT',
  });
}

/** OpenID Connect Core §3.1.3.6, computed here independently: left half of SHA-256, base64url. */
export function expectedAtHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
}

/** GET /v1/auth/oauth/userinfo with a bearer token. */
export function userInfo(server: TestServer, token: string | undefined, init: RequestInit = {}) {
  return server.request('/v1/auth/oauth/userinfo', { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string> | undefined) } });
}
