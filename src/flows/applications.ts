import { randomBytes } from 'node:crypto';
import { constantTimeEqual, hashSecret } from '../crypto/hash.js';
import { generateId, generateSecret } from '../crypto/random.js';
import { NotFound } from '../protocol/errors.js';
import { isClientIdUrl } from '../protocol/client-metadata-document.js';
import { isPublishableKeyShape, isSecretKeyShape } from '../protocol/keys.js';
import { parseOrigin } from '../protocol/origins.js';
import { redirectUriProblem } from '../protocol/redirect-uri.js';
import { resourceProblem } from '../protocol/resource-indicators.js';
import { OPENID_SCOPES, parseScope } from '../protocol/scopes.js';
import type { Application, ApplicationChanges, PageRequest } from '../storage/store.js';
import { withActor, type AuditActor } from './admin-principal.js';
import { checkApplicationBranding } from './branding.js';
import type { FlowDeps } from './deps.js';
import { findMetadataDocumentClient, registrationOrganization } from './oauth/client-metadata-documents.js';
import { fetchPage, type Page } from './paging.js';

export type { ApplicationChanges } from '../storage/store.js';

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
  passkeyOrigins?: string[];
  requirePushedAuthorizationRequests?: boolean;
  resources?: string[];
  requireDpop?: boolean;
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

/**
 * The checks every setting of an application passes, at creation and at every change, whoever makes
 * it (CLI or admin API): redirect and post-logout URIs as SPEC §6.1 wants them for the environment,
 * origins in serialized form (SPEC §2), scope tokens of RFC 6749 §3.3, and hosted-page branding
 * (SPEC §7; BrandingError). Throws InvalidApplication with a message fit for the CLI and a 400.
 */
function checkSettings(environment: Application['environment'], type: Application['type'], settings: ApplicationChanges): void {
  checkApplicationBranding(settings);
  for (const uri of settings.redirectUris ?? []) {
    const problem = redirectUriProblem(uri, environment);
    if (problem) throw new InvalidApplication(`redirect URI ${uri} ${problem}`);
  }
  for (const uri of settings.postLogoutRedirectUris ?? []) {
    const problem = redirectUriProblem(uri, environment);
    if (problem) throw new InvalidApplication(`post-logout redirect URI ${uri} ${problem}`);
  }
  for (const origin of settings.allowedOrigins ?? []) {
    if (!parseOrigin(origin)) throw new InvalidApplication(`origin ${JSON.stringify(origin)} is not an origin (scheme://host[:port])`);
  }
  for (const origin of settings.passkeyOrigins ?? []) {
    if (!parseOrigin(origin)) throw new InvalidApplication(`passkey origin ${JSON.stringify(origin)} is not an origin (scheme://host[:port])`);
  }
  for (const resource of settings.resources ?? []) {
    // RFC 8707 §2: an absolute URI without fragment, compared by exact string.
    const problem = resourceProblem(resource);
    if (problem) throw new InvalidApplication(`resource ${JSON.stringify(resource)} ${problem} (RFC 8707 §2)`);
  }
  for (const scope of settings.allowedScopes ?? []) {
    // One token each: the list is joined with spaces into scope strings (RFC 6749 §3.3).
    if (parseScope(scope)?.length !== 1 || scope.includes(' ')) throw new InvalidApplication(`scope ${JSON.stringify(scope)} is not a scope token (RFC 6749 §3.3)`);
  }
  // SPEC §6.1, RFC 9700 §2.1.1: a public client has no other proof that it is the one that asked.
  if (type === 'public' && settings.pkcePolicy === 'optional') throw new InvalidApplication('PKCE cannot be optional for a public application');
}

/**
 * Creates an application with fresh keys; the secret is stored only as its SHA-256. `actor`: the
 * admin token that asked (SPEC §10), recorded in the audit event; none from the CLI.
 */
export async function createApplication(deps: FlowDeps, input: NewApplication, actor?: AuditActor): Promise<IssuedSecret> {
  checkSettings(input.environment, input.type, input);
  if (!(await deps.store.getOrganization(input.organizationId))) throw new NotFound('no such organization');
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
    passkeyOrigins: input.passkeyOrigins ?? [],
    requirePushedAuthorizationRequests: input.requirePushedAuthorizationRequests ?? false,
    resources: input.resources ?? [],
    requireDpop: input.requireDpop ?? false,
    createdAt: now,
    disabledAt: null,
    registration: 'manual',
  };
  const secretKey = newSecretKey(input.environment);
  await deps.store.createApplication(application, hashSecret(secretKey), now);
  await deps.audit.record('application.created', application.organizationId, withActor({ applicationId: application.id }, actor));
  return { application, secretKey };
}

/**
 * Issues a new secret key; older ones keep working for `secretOverlapSeconds` (SPEC §1: default 0,
 * immediate). Returns undefined for an unknown application.
 */
export async function rotateApplicationSecret(deps: FlowDeps, applicationId: string, actor?: AuditActor): Promise<IssuedSecret | undefined> {
  const application = await deps.store.getApplication(applicationId);
  if (!application) return undefined;
  const now = deps.clock.now();
  const secretKey = newSecretKey(application.environment);
  await deps.store.rotateApplicationSecret(applicationId, hashSecret(secretKey), now + deps.secretOverlapSeconds * 1000, now);
  await deps.audit.record('application.secret_rotated', application.organizationId, withActor({
    applicationId,
    overlapSeconds: deps.secretOverlapSeconds,
  }, actor));
  return { application, secretKey };
}

/**
 * SPEC §10: a disabled application is refused everywhere its keys or tokens are presented. Every
 * lookup by key below (publishable key, secret key, client authentication) and the hosted pages'
 * lookup pass through here, so no path can forget it; the admin API and the CLI read applications
 * with getApplication, which returns disabled ones too.
 */
function usable(application: Application | undefined): Application | undefined {
  return application && application.disabledAt === null ? application : undefined;
}

/**
 * SPEC §13 (review of issue 19): a client nobody registered by hand — metadata document or Dynamic
 * Client Registration — is usable only while the organization for such clients
 * (LATCHKEY_CLIENT_REGISTRATION_ORGANIZATION) is its own and that organization's switch lets it in,
 * in the environment it was made for: turning a switch off (or to the other environment) stops the
 * clients made under it on every path at once — authorize, PAR, token, refresh, revocation,
 * introspection, UserInfo, logout, the hosted pages. A registered application costs no read here.
 */
async function admitted(deps: FlowDeps, application: Application | undefined): Promise<Application | undefined> {
  if (!application || application.registration === 'manual') return application;
  const found = await registrationOrganization(deps);
  if (!found || found.organization.id !== application.organizationId) return undefined;
  const setting = application.registration === 'dynamic' ? found.settings.dynamicRegistration : found.settings.metadataDocuments;
  return setting === application.environment ? application : undefined;
}

/** The application a publishable key belongs to, if any, not disabled, and (SPEC §13) still admitted. */
export async function findApplicationByPublishableKey(deps: FlowDeps, publishableKey: string): Promise<Application | undefined> {
  // SPEC §13: a Client ID Metadata Document URL is the client_id of the application made from it.
  if (isClientIdUrl(publishableKey)) return admitted(deps, usable(await findMetadataDocumentClient(deps, publishableKey)));
  if (!isPublishableKeyShape(publishableKey)) return undefined;
  return admitted(deps, usable(await deps.store.findApplicationByPublishableKey(publishableKey)));
}

/** The application of an authorization request the hosted pages serve, unless it was disabled (or, SPEC §13, switched off) since. */
export async function findUsableApplication(deps: FlowDeps, applicationId: string): Promise<Application | undefined> {
  return admitted(deps, usable(await deps.store.getApplication(applicationId)));
}

/**
 * The application a secret key belongs to, unless disabled. The lookup is by SHA-256, so the clear key is never
 * compared against stored data; the hash itself is re-checked in constant time (STYLE §11).
 */
export async function findApplicationBySecretKey(deps: FlowDeps, secretKey: string): Promise<Application | undefined> {
  if (!isSecretKeyShape(secretKey)) return undefined;
  const secretHash = hashSecret(secretKey);
  const application = usable(await deps.store.findApplicationBySecretHash(secretHash, deps.clock.now()));
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
 * Client authentication (RFC 6749 §2.3.1) in one lookup: the (not disabled) application of a publishable key and
 * whether `secretKey` is one of its live secrets (matched by SHA-256, like findApplicationBySecretKey).
 */
export async function findApplicationWithSecretKey(
  deps: FlowDeps,
  publishableKey: string,
  secretKey: string,
): Promise<{ application: Application; secretMatches: boolean } | undefined> {
  if (!isPublishableKeyShape(publishableKey)) return undefined;
  const found = await deps.store.findApplicationWithSecret(publishableKey, hashSecret(secretKey), deps.clock.now());
  if (!found || !usable(found.application)) return undefined;
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

/** An application by id, disabled or not (the admin API, the CLI); NotFound (404) for an unknown id. */
export async function getApplication(deps: FlowDeps, applicationId: string): Promise<Application> {
  const application = await deps.store.getApplication(applicationId);
  if (!application) throw new NotFound(`no application ${applicationId}`);
  return application;
}

/** Applications in id order (SPEC §10 cursor paging), disabled ones included. */
export function listApplications(
  deps: FlowDeps,
  filter: { organizationId?: string; environment?: Application['environment'] },
  page: PageRequest,
): Promise<Page<Application>> {
  return fetchPage(page, (request) => deps.store.listApplicationsPage(filter, request), (application) => application.id);
}

/**
 * Changes an application's settings (SPEC §10: name, branding, scopes, redirect URIs, origins,
 * post-logout redirect URIs, PKCE policy). A list given replaces the stored list whole; an absent
 * field stays as it is. Checked like at creation (checkSettings), against the application's own
 * environment and type, which never change. The audit event names each changed field and its new
 * value (none is secret). NotFound for an unknown id.
 */
export async function updateApplication(deps: FlowDeps, applicationId: string, changes: ApplicationChanges, actor?: AuditActor): Promise<Application> {
  const existing = await getApplication(deps, applicationId);
  checkSettings(existing.environment, existing.type, changes);
  const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as ApplicationChanges;
  if (Object.keys(defined).length === 0) return existing;
  const updated = await deps.store.updateApplication(applicationId, defined);
  if (!updated) throw new NotFound(`no application ${applicationId}`);
  await deps.audit.record('application.updated', updated.organizationId, withActor({ applicationId, changes: defined }, actor));
  return updated;
}

/**
 * SPEC §10: disables an application. From the next request on, everything its keys or tokens open
 * is refused (see `usable` above and the token checks in oauth/tokens.ts and
 * authenticate-consumer.ts): its publishable and secret keys, client authentication, the hosted
 * pages of its pending requests, refreshing its token families, and its live access and login
 * tokens. Nothing is deleted or revoked, so enableApplication undoes it. Disabling a disabled
 * application keeps the first instant and records nothing.
 */
export async function disableApplication(deps: FlowDeps, applicationId: string, actor?: AuditActor): Promise<Application> {
  const existing = await getApplication(deps, applicationId);
  if (existing.disabledAt !== null) return existing;
  const updated = (await deps.store.setApplicationDisabledAt(applicationId, deps.clock.now()))!;
  await deps.audit.record('application.disabled', updated.organizationId, withActor({ applicationId }, actor));
  return updated;
}

/** Undoes disableApplication: keys, sessions and tokens that have not expired work again. */
export async function enableApplication(deps: FlowDeps, applicationId: string, actor?: AuditActor): Promise<Application> {
  const existing = await getApplication(deps, applicationId);
  if (existing.disabledAt === null) return existing;
  const updated = (await deps.store.setApplicationDisabledAt(applicationId, null))!;
  await deps.audit.record('application.enabled', updated.organizationId, withActor({ applicationId }, actor));
  return updated;
}

/** An application as the CLI and the admin API show it (SPEC §1: ISO 8601 instants); never a secret. */
export function describeApplication(application: Application) {
  return {
    id: application.id,
    organizationId: application.organizationId,
    name: application.name,
    publishableKey: application.publishableKey,
    type: application.type,
    environment: application.environment,
    redirectUris: application.redirectUris,
    allowedScopes: application.allowedScopes,
    allowedOrigins: application.allowedOrigins,
    logoUrl: application.logoUrl,
    accentColor: application.accentColor,
    isFirstParty: application.isFirstParty,
    pkce: application.pkcePolicy,
    postLogoutRedirectUris: application.postLogoutRedirectUris,
    accessTokenAlg: application.accessTokenAlg,
    passkeyOrigins: application.passkeyOrigins,
    requirePushedAuthorizationRequests: application.requirePushedAuthorizationRequests,
    requireDpop: application.requireDpop,
    resources: application.resources,
    registration: application.registration,
    createdAt: new Date(application.createdAt).toISOString(),
    disabledAt: application.disabledAt === null ? null : new Date(application.disabledAt).toISOString(),
  };
}
