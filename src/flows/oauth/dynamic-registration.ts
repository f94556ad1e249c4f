import { randomBytes } from 'node:crypto';
import {
  InvalidClientMetadata, InvalidRedirectUri, checkGrantAndResponseTypes, readClientName, readRedirectUris, readScope,
} from '../../protocol/client-metadata-document.js';
import { InvalidToken } from '../../protocol/oauth-errors.js';
import { InvalidClientMetadataError, InvalidRedirectUriError, RegistrationClosed } from '../../protocol/registration-errors.js';
import { isStorableJson } from '../../protocol/text.js';
import type { Application, Environment } from '../../storage/store.js';
import { isInitialAccessToken } from '../client-registration-settings.js';
import type { FlowDeps } from '../deps.js';
import { registrationOrganization } from './client-metadata-documents.js';
import { unregisteredClient } from './unregistered-client.js';

/** RFC 7591 §2 client metadata as registered here: a public client of the code flow. */
interface RequestedMetadata {
  name: string | undefined;
  redirectUris: unknown;
  grantTypes: string[];
  scope: unknown;
}

/** RFC 7591 §3.2.1: the client information response. */
export interface ClientInformation {
  client_id: string;
  client_id_issued_at: number;
  client_name: string;
  redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: 'none';
  scope: string;
}

/**
 * RFC 7591 §2, §3.1: the request's metadata, checked without the store. Only what a public,
 * PKCE-only client of the code flow can use is accepted (SPEC §13): `token_endpoint_auth_method`
 * `none` (also what an absent one becomes — the §2 default `client_secret_basic` is not offered),
 * `grant_types` within authorization_code and refresh_token, `response_types` code. Other metadata
 * (logo_uri, client_uri, contacts, software_statement, …) is ignored and not echoed (§3.2.1 lets the
 * server replace or drop values).
 */
export function readRegistrationRequest(body: unknown): RequestedMetadata {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidClientMetadataError('the request body must be a JSON object of client metadata');
  if (!isStorableJson(body)) throw new InvalidClientMetadataError('the client metadata must be well-formed text (no U+0000, no lone surrogate)');
  const metadata = body as Record<string, unknown>;
  // Before the store is asked which environment applies: the rules of the more lenient one (test);
  // registerClient applies the environment's own afterwards (live: http only on loopback).
  checkRedirectUris(metadata.redirect_uris, 'test');
  try {
    const method = metadata.token_endpoint_auth_method ?? 'none';
    if (method !== 'none') throw new InvalidClientMetadata('token_endpoint_auth_method must be none: registered clients are public and use PKCE');
    checkGrantAndResponseTypes(metadata);
    const grantTypes = (metadata.grant_types as string[] | undefined) ?? ['authorization_code'];
    if (!grantTypes.includes('authorization_code')) throw new InvalidClientMetadata('grant_types must include authorization_code');
    const name = metadata.client_name === undefined ? undefined : readClientName(metadata.client_name, '');
    readScope(metadata.scope);
    return { name, redirectUris: metadata.redirect_uris, grantTypes: [...new Set(grantTypes)], scope: metadata.scope };
  } catch (error) {
    if (error instanceof InvalidClientMetadata) throw new InvalidClientMetadataError(error.message);
    throw error;
  }
}

/**
 * RFC 7591 §3: registers a public client in the organization of clients nobody registered by hand,
 * when it has Dynamic Client Registration on; with an initial access token set, only a request that
 * presents it (§3, compared in constant time by its SHA-256). The client_id is a publishable key of
 * the environment the switch names; the client has no secret at all.
 */
export async function registerClient(deps: FlowDeps, requested: RequestedMetadata, initialAccessToken: string | undefined): Promise<ClientInformation> {
  const found = await registrationOrganization(deps);
  if (!found || found.settings.dynamicRegistration === 'off') throw new RegistrationClosed('Dynamic Client Registration is off');
  // RFC 7591 §3: an invalid initial access token is answered as RFC 6750 says (401 invalid_token).
  if (!isInitialAccessToken(found.settings, initialAccessToken)) throw new InvalidToken('registration needs a valid initial access token (Authorization: Bearer)');
  const environment = found.settings.dynamicRegistration;
  const redirectUris = checkRedirectUris(requested.redirectUris, environment);
  const now = deps.clock.now();
  const application = registeredApplication(found.organization.id, environment, {
    // A custom-scheme redirect URI (RFC 8252 §7.1) names no host (`com.attacker://accounts.google.com/`
    // would borrow one): the name then is a plain placeholder.
    name: requested.name ?? (/^https?:$/.test(new URL(redirectUris[0]!).protocol) ? new URL(redirectUris[0]!).host : 'Unnamed client'),
    redirectUris,
    allowedScopes: readScope(requested.scope),
  }, now);
  await deps.store.createPublicClient(application);
  await deps.audit.record('application.registered', application.organizationId, { applicationId: application.id, registration: 'dynamic' });
  return {
    client_id: application.publishableKey,
    client_id_issued_at: Math.floor(now / 1000),
    client_name: application.name,
    redirect_uris: application.redirectUris,
    grant_types: requested.grantTypes,
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: application.allowedScopes.join(' '),
  };
}

/** RFC 7591 §2 `redirect_uris` by the rules of registered applications (SPEC §1); §3.2.2 invalid_redirect_uri otherwise. */
function checkRedirectUris(value: unknown, environment: Environment): string[] {
  try {
    return readRedirectUris(value, environment);
  } catch (error) {
    if (error instanceof InvalidRedirectUri) throw new InvalidRedirectUriError(error.message);
    throw error;
  }
}

function registeredApplication(
  organizationId: string, environment: Environment, metadata: Pick<Application, 'name' | 'redirectUris' | 'allowedScopes'>, now: number,
): Application {
  // A public identifier, like every publishable key: 192 random bits keep it unguessable anyway.
  const publishableKey = `pk_${environment}_${randomBytes(24).toString('base64url')}`;
  return unregisteredClient({ organizationId, environment, publishableKey, registration: 'dynamic', ...metadata }, now);
}
