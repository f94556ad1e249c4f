import type { Application } from '../../flows/domain.js';
import type { UnverifiedClient } from '../../ui/pages/consent.js';

/** SPEC §13: how the consent page names a client nobody registered by hand; undefined for the others. */
export function unverifiedClientOf(application: Application, redirectUri: string): UnverifiedClient | undefined {
  if (application.registration === 'manual') return undefined;
  // A metadata document client is known by its URL's host; a registered one only by where it sends you back.
  const origin = application.registration === 'metadata_document' ? new URL(application.publishableKey).host : new URL(redirectUri).host || redirectUri;
  return { origin, kind: application.registration };
}
