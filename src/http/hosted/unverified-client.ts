import type { Application } from '../../flows/domain.js';
import type { UnverifiedClient } from '../../ui/pages/consent.js';

/** SPEC §13: how the consent page names a client nobody registered by hand; undefined for the others. */
export function unverifiedClientOf(application: Application, redirectUri: string): UnverifiedClient | undefined {
  if (application.registration === 'manual') return undefined;
  // A metadata document client is known by its URL's host; a registered one only by where it sends you back.
  if (application.registration === 'metadata_document') return { origin: new URL(application.publishableKey).host, kind: 'metadata_document' };
  return { origin: redirectTargetLabel(redirectUri), kind: application.registration };
}

/**
 * Where a redirect URI sends the browser, as a person can check it: the host of an http(s) URI; for
 * any other scheme only the scheme, because what follows `//` in `com.attacker://accounts.google.com/`
 * names no host — the app that owns the scheme gets the code (review of issue 19).
 */
export function redirectTargetLabel(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.host : `an app on your device (scheme ${url.protocol})`;
}
