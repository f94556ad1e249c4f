import { randomBytes } from 'node:crypto';
import { constantTimeEqual, hashSecret } from '../crypto/hash.js';
import { generateId, generateSecret } from '../crypto/random.js';
import { isPublishableKeyShape, isSecretKeyShape } from '../protocol/keys.js';
import { redirectUriProblem } from '../protocol/redirect-uri.js';
import { OPENID_SCOPES } from '../protocol/scopes.js';
import type { Application } from '../storage/store.js';
import type { FlowDeps } from './deps.js';

export interface NewApplication {
  organizationId: string;
  name: string;
  type: 'confidential' | 'public';
  environment: 'test' | 'live';
  redirectUris?: string[];
  allowedScopes?: string[];
  allowedOrigins?: string[];
  logoUrl?: string | null;
  accentColor?: string | null;
  isFirstParty?: boolean;
  pkcePolicy?: Application['pkcePolicy'];
  postLogoutRedirectUris?: string[];
  accessTokenAlg?: Application['accessTokenAlg'];
}

/** An application setting that cannot be stored; the CLI prints the message. */
export class InvalidApplication extends Error {}

/** A secret key in full: returned exactly once, at creation or rotation (SPEC §1). */
export interface IssuedSecret {
  application: Application;
  secretKey: string;
}

function newSecretKey(environment: 'test' | 'live'): string {
  return generateSecret(`sk_${environment}_`);
}

/** Creates an application with fresh keys; the secret is stored only as its SHA-256. */
export async function createApplication(deps: FlowDeps, input: NewApplication): Promise<IssuedSecret> {
  for (const uri of input.redirectUris ?? []) {
    const problem = redirectUriProblem(uri, input.environment);
    if (problem) throw new InvalidApplication(`redirect URI ${uri} ${problem}`);
  }
  for (const uri of input.postLogoutRedirectUris ?? []) {
    const problem = redirectUriProblem(uri, input.environment);
    if (problem) throw new InvalidApplication(`post-logout redirect URI ${uri} ${problem}`);
  }
  // SPEC §6.1, RFC 9700 §2.1.1: a public client has no other proof that it is the one that asked.
  if (input.type === 'public' && input.pkcePolicy === 'optional') throw new InvalidApplication('PKCE cannot be optional for a public application');
  const now = deps.clock.now();
  const application: Application = {
    id: generateId('app_', now),
    organizationId: input.organizationId,
    name: input.name,
    // Publishable keys are public identifiers, not secrets; 192 bits keep them unguessable anyway.
    publishableKey: `pk_${input.environment}_${randomBytes(24).toString('base64url')}`,
    environment: input.environment,
    type: input.type,
    redirectUris: input.redirectUris ?? [],
    // SPEC §9: unless created with its own list, an application may use every scope this server knows.
    allowedScopes: input.allowedScopes && input.allowedScopes.length > 0 ? input.allowedScopes : [...OPENID_SCOPES],
    allowedOrigins: input.allowedOrigins ?? [],
    logoUrl: input.logoUrl ?? null,
    accentColor: input.accentColor ?? null,
    isFirstParty: input.isFirstParty ?? false,
    pkcePolicy: input.pkcePolicy ?? 'required',
    postLogoutRedirectUris: input.postLogoutRedirectUris ?? [],
    accessTokenAlg: input.accessTokenAlg ?? 'EdDSA',
    createdAt: now,
    disabledAt: null,
  };
  const secretKey = newSecretKey(input.environment);
  await deps.store.createApplication(application, hashSecret(secretKey), now);
  await deps.audit.record('application.created', application.organizationId, { applicationId: application.id });
  return { application, secretKey };
}

/**
 * Issues a new secret key; older ones keep working for `secretOverlapSeconds` (SPEC §1: default 0,
 * immediate). Returns undefined for an unknown application.
 */
export async function rotateApplicationSecret(deps: FlowDeps, applicationId: string): Promise<IssuedSecret | undefined> {
  const application = await deps.store.getApplication(applicationId);
  if (!application) return undefined;
  const now = deps.clock.now();
  const secretKey = newSecretKey(application.environment);
  await deps.store.rotateApplicationSecret(applicationId, hashSecret(secretKey), now + deps.secretOverlapSeconds * 1000, now);
  await deps.audit.record('application.secret_rotated', application.organizationId, {
    applicationId,
    overlapSeconds: deps.secretOverlapSeconds,
  });
  return { application, secretKey };
}

/** The application a publishable key belongs to, if any. */
export async function findApplicationByPublishableKey(deps: FlowDeps, publishableKey: string): Promise<Application | undefined> {
  if (!isPublishableKeyShape(publishableKey)) return undefined;
  return deps.store.findApplicationByPublishableKey(publishableKey);
}

/**
 * The application a secret key belongs to. The lookup is by SHA-256, so the clear key is never
 * compared against stored data; the hash itself is re-checked in constant time (STYLE §11).
 */
export async function findApplicationBySecretKey(deps: FlowDeps, secretKey: string): Promise<Application | undefined> {
  if (!isSecretKeyShape(secretKey)) return undefined;
  const secretHash = hashSecret(secretKey);
  const application = await deps.store.findApplicationBySecretHash(secretHash, deps.clock.now());
  return application && hasEnvironmentPrefix(secretKey, application) ? application : undefined;
}

/**
 * The secret key carries its application's environment prefix, compared in constant time: a key of
 * one environment presented with the other's prefix does not match.
 */
function hasEnvironmentPrefix(secretKey: string, application: Application): boolean {
  return /^sk_(test|live)_/.test(secretKey) && constantTimeEqual(secretKey.slice(0, 8), `sk_${application.environment}_`);
}

/**
 * Client authentication (RFC 6749 §2.3.1) in one lookup: the application of a publishable key and
 * whether `secretKey` is one of its live secrets (matched by SHA-256, like findApplicationBySecretKey).
 */
export async function findApplicationWithSecretKey(
  deps: FlowDeps,
  publishableKey: string,
  secretKey: string,
): Promise<{ application: Application; secretMatches: boolean } | undefined> {
  if (!isPublishableKeyShape(publishableKey)) return undefined;
  const found = await deps.store.findApplicationWithSecret(publishableKey, hashSecret(secretKey), deps.clock.now());
  if (!found) return undefined;
  return { application: found.application, secretMatches: found.secretMatches && hasEnvironmentPrefix(secretKey, found.application) };
}

/** Registers one more redirect URI (checked like at creation). */
export async function addRedirectUri(deps: FlowDeps, application: Application, uri: string): Promise<Application> {
  const problem = redirectUriProblem(uri, application.environment);
  if (problem) throw new InvalidApplication(`redirect URI ${uri} ${problem}`);
  const updated = (await deps.store.addRedirectUri(application.id, uri))!;
  await deps.audit.record('application.redirect_uri_added', updated.organizationId, { applicationId: updated.id, redirectUri: uri });
  return updated;
}

/** Registers one more post-logout redirect URI (RP-Initiated Logout 1.0 §3), checked like a redirect URI. */
export async function addPostLogoutRedirectUri(deps: FlowDeps, application: Application, uri: string): Promise<Application> {
  const problem = redirectUriProblem(uri, application.environment);
  if (problem) throw new InvalidApplication(`post-logout redirect URI ${uri} ${problem}`);
  const updated = (await deps.store.addPostLogoutRedirectUri(application.id, uri))!;
  await deps.audit.record('application.post_logout_redirect_uri_added', updated.organizationId, { applicationId: updated.id, postLogoutRedirectUri: uri });
  return updated;
}
