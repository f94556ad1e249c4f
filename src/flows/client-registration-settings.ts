import { constantTimeEqual, hashSecret } from '../crypto/hash.js';
import { generateSecret } from '../crypto/random.js';
import type { ClientRegistrationMode, ClientRegistrationSettings } from '../storage/store.js';
import { withActor, type AuditActor } from './admin-principal.js';
import type { FlowDeps } from './deps.js';
import { getOrganization } from './organizations.js';

/** An organization's switches as the admin API and CLI show them (the token itself never). */
export interface ClientRegistrationView {
  clientIdMetadataDocuments: ClientRegistrationMode;
  dynamicClientRegistration: ClientRegistrationMode;
  requiresInitialAccessToken: boolean;
}

/** A change: absent fields are kept. `initialAccessToken`: `generate` a new one (shown once) or `none` (open registration). */
export interface ClientRegistrationChange {
  clientIdMetadataDocuments?: ClientRegistrationMode;
  dynamicClientRegistration?: ClientRegistrationMode;
  initialAccessToken?: 'generate' | 'none';
}

function view(settings: ClientRegistrationSettings): ClientRegistrationView {
  return {
    clientIdMetadataDocuments: settings.metadataDocuments,
    dynamicClientRegistration: settings.dynamicRegistration,
    requiresInitialAccessToken: settings.registrationTokenHash !== null,
  };
}

/** SPEC §13: whether clients nobody registered by hand may use this organization, and in which environment. */
export async function describeClientRegistration(deps: FlowDeps, organizationId: string): Promise<ClientRegistrationView> {
  await getOrganization(deps, organizationId);
  return view(await deps.store.getClientRegistrationSettings(organizationId));
}

/**
 * Switches Client ID Metadata Documents and Dynamic Client Registration (SPEC §13) for an
 * organization, as `latchkey orgs set-client-registration` does. A generated initial access token
 * (RFC 7591 §3: `lkr_` + 256 random bits) is returned once and stored as its SHA-256 only.
 */
export async function setClientRegistration(
  deps: FlowDeps,
  organizationId: string,
  change: ClientRegistrationChange,
  actor?: AuditActor,
): Promise<ClientRegistrationView & { initialAccessToken?: string }> {
  await getOrganization(deps, organizationId);
  const current = await deps.store.getClientRegistrationSettings(organizationId);
  const token = change.initialAccessToken === 'generate' ? generateSecret('lkr_') : undefined;
  const settings: ClientRegistrationSettings = {
    metadataDocuments: change.clientIdMetadataDocuments ?? current.metadataDocuments,
    dynamicRegistration: change.dynamicClientRegistration ?? current.dynamicRegistration,
    registrationTokenHash: token !== undefined ? hashSecret(token) : change.initialAccessToken === 'none' ? null : current.registrationTokenHash,
  };
  await deps.store.setClientRegistrationSettings(organizationId, settings);
  const described = view(settings);
  await deps.audit.record('organization.client_registration_changed', organizationId, withActor({ ...described }, actor));
  return token === undefined ? described : { ...described, initialAccessToken: token };
}

/** RFC 7591 §3: whether `presented` is the organization's initial access token (SHA-256, compared in constant time). */
export function isInitialAccessToken(settings: ClientRegistrationSettings, presented: string | undefined): boolean {
  if (settings.registrationTokenHash === null) return true;
  return presented !== undefined && constantTimeEqual(hashSecret(presented), settings.registrationTokenHash);
}
