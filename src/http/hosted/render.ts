import type { Context } from 'hono';
import type { HostedRequest } from '../../flows/oauth/hosted.js';
import { DEFAULT_ACCENT, type Branding } from '../../ui/branding.js';
import { PASSKEY_SCRIPT_PATH } from '../../ui/head.js';
import type { SafeHtml } from '../../ui/html.js';

/** What the pages show of the application, falling back to its organization, then to defaults. */
export function brandingOf(hosted: Pick<HostedRequest, 'application' | 'organization'>): Branding {
  const { application, organization } = hosted;
  return {
    appName: application.name,
    logoUrl: application.logoUrl ?? organization.branding.logoUrl,
    accentColor: application.accentColor ?? organization.branding.accentColor ?? DEFAULT_ACCENT,
    organizationDisplayName: organization.branding.displayName,
  };
}

/**
 * The CSP source that allows a URL: its origin for http(s), its scheme for a native app's
 * private-use URI scheme (`com.example.app:`, RFC 8252 §7.1), whose origin is opaque.
 */
function cspSourceOf(url: string): string {
  const parsed = new URL(url);
  return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : parsed.protocol;
}

/**
 * Sends a hosted page with its Content-Security-Policy (SPEC §7, RFC 9700 §4.16): no script at all,
 * styles from here, images from here and the configured logo's origin only, forms posting only here
 * and — because the final redirect of a form submission is checked too — to the client's redirect URI.
 * A page that loads the passkey script (the login and account pages) also gets `script-src 'self'`
 * and `connect-src 'self'` (the script fetches its options from here) — still no inline script.
 */
export function sendPage(c: Context, page: SafeHtml, status: number, redirectUri?: string, logoUrl?: string | null): Response {
  const formTargets = ["'self'", ...(redirectUri ? [cspSourceOf(redirectUri)] : [])].join(' ');
  const images = ["'self'", ...(logoUrl ? [cspSourceOf(logoUrl)] : [])].join(' ');
  // Text put into a page is escaped (ui/html.ts), so only our own markup can hold this tag.
  const scripts = page.value.includes(`<script src="${PASSKEY_SCRIPT_PATH}"`) ? " script-src 'self'; connect-src 'self';" : '';
  c.header(
    'Content-Security-Policy',
    `default-src 'none';${scripts} style-src 'self'; img-src ${images}; form-action ${formTargets}; frame-ancestors 'none'; base-uri 'none'`,
  );
  c.header('Cache-Control', 'no-store');
  return c.html(page.value, status as 200);
}
