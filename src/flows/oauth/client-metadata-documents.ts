import { DocumentFetchError, InvalidClientMetadata, clientIdUrlProblem, type ClientMetadata } from '../../protocol/client-metadata-document.js';
import { InvalidRequest } from '../../protocol/oauth-errors.js';
import type { Application, ClientRegistrationSettings, Environment, Organization } from '../../storage/store.js';
import type { FlowDeps } from '../deps.js';
import { unregisteredClient } from './unregistered-client.js';

/** The organization of clients nobody registered by hand, with its switches; undefined when it does not exist. */
export async function registrationOrganization(deps: FlowDeps): Promise<{ organization: Organization; settings: ClientRegistrationSettings } | undefined> {
  const organization = await deps.store.findOrganizationByName(deps.clientRegistration.organizationName);
  if (!organization) return undefined;
  return { organization, settings: await deps.store.getClientRegistrationSettings(organization.id) };
}

/** What discovery advertises (CIMD §5 `client_id_metadata_document_supported`, RFC 7591 `registration_endpoint`). */
export async function clientRegistrationFeatures(deps: FlowDeps): Promise<{ metadataDocuments: boolean; dynamicRegistration: boolean }> {
  const settings = (await registrationOrganization(deps))?.settings;
  return { metadataDocuments: (settings?.metadataDocuments ?? 'off') !== 'off', dynamicRegistration: (settings?.dynamicRegistration ?? 'off') !== 'off' };
}

/**
 * CIMD §6 (at the authorization endpoint): an https URL as client_id names its own metadata
 * document; it is fetched (or read from the cache), validated, and kept as an application of the
 * organization for clients nobody registered (created on first use, refreshed afterwards), so that
 * codes, grants and tokens refer to it like to any other. Every failure is invalid_request before
 * the redirect URI is trusted (400 JSON, never a redirect: RFC 6749 §4.1.2.1).
 */
export async function resolveMetadataDocumentClient(deps: FlowDeps, clientId: string): Promise<Application> {
  const found = await registrationOrganization(deps);
  if (!found || found.settings.metadataDocuments === 'off') throw new InvalidRequest('this server does not accept a URL as client_id (Client ID Metadata Documents are off)');
  const environment = found.settings.metadataDocuments;
  const problem = clientIdUrlProblem(clientId, deps.clientRegistration.allowInsecureMetadataFetch);
  if (problem) throw new InvalidRequest(`client_id ${problem}`);
  const now = deps.clock.now();
  let metadata: ClientMetadata;
  try {
    metadata = await deps.clientRegistration.documents.get(clientId, environment, now);
  } catch (error) {
    if (error instanceof DocumentFetchError || error instanceof InvalidClientMetadata) {
      throw new InvalidRequest(`the client_id metadata document cannot be used: ${error.message}`);
    }
    throw error;
  }
  const candidate = metadataDocumentApplication(found.organization.id, environment, metadata, now);
  const application = await deps.store.saveMetadataDocumentClient(candidate);
  // The row kept our id only when this request created it: the first use is the event worth recording.
  if (application.id === candidate.id) {
    await deps.audit.record('application.registered', application.organizationId, { applicationId: application.id, registration: 'metadata_document' });
  }
  const checked = checkMetadataDocumentClient(application, found.organization.id);
  // Made under the other environment (the switch moved since): its redirect URIs were checked by the
  // other environment's rules and its people are the other environment's — not reused (review of issue 19).
  if (checked.environment !== environment) throw new InvalidRequest('this client_id was first used in the other environment; it cannot be used in this one');
  return checked;
}

/**
 * The stored client of a metadata document URL, for the endpoints after the authorization endpoint
 * (token, hosted pages, revocation): it was created there from its document, which the code it
 * redeems was bound to; undefined when unknown, or when the organization turned the feature off.
 */
export async function findMetadataDocumentClient(deps: FlowDeps, clientId: string): Promise<Application | undefined> {
  // No URL that could never have been stored reaches the store (issue 11.3: U+0000, lone surrogates).
  if (clientIdUrlProblem(clientId, deps.clientRegistration.allowInsecureMetadataFetch)) return undefined;
  const application = await deps.store.findApplicationByPublishableKey(clientId);
  if (!application || application.registration !== 'metadata_document') return undefined;
  const found = await registrationOrganization(deps);
  if (!found || found.settings.metadataDocuments === 'off' || found.organization.id !== application.organizationId) return undefined;
  return application;
}

function checkMetadataDocumentClient(application: Application, organizationId: string): Application {
  // A URL is a client of one organization: a row left by an earlier LATCHKEY_CLIENT_REGISTRATION_ORGANIZATION is not reused.
  if (application.registration !== 'metadata_document' || application.organizationId !== organizationId) throw new InvalidRequest('unknown client_id');
  if (application.disabledAt !== null) throw new InvalidRequest('unknown client_id');
  return application;
}

/** The application of a metadata document: its URL is its client_id (the publishable key). */
function metadataDocumentApplication(organizationId: string, environment: Environment, metadata: ClientMetadata, now: number): Application {
  return unregisteredClient({
    organizationId, environment, publishableKey: metadata.clientId, registration: 'metadata_document',
    name: metadata.name, redirectUris: metadata.redirectUris, allowedScopes: metadata.allowedScopes,
  }, now);
}
