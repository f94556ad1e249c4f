import type { Context } from 'hono';
import type { HostedRequest } from '../../flows/oauth/hosted.js';
import { DEFAULT_ACCENT, type Branding } from '../../ui/branding.js';
import type { SafeHtml } from '../../ui/html.js';

/** What the pages show of the application, falling back to its organization, then to defaults. */
export function brandingOf(hosted: HostedRequest): Branding {
  const { application, organization } = hosted;
  return {
    appName: application.name,
    logoUrl: application.logoUrl ?? organization.branding.logoUrl,
    accentColor: application.accentColor ?? organization.branding.accentColor ?? DEFAULT_ACCENT,
    organizationName: organization.branding.displayName ?? organization.name,
  };
}

/**
 * Sends a hosted page with its Content-Security-Policy (SPEC §7, RFC 9700 §4.16): no script at all,
 * styles and images from here (logos over https), forms posting only here and — because the final
 * redirect of a form submission is checked too — to the client's redirect URI.
 */
export function sendPage(c: Context, page: SafeHtml, status: number, redirectUri?: string): Response {
  const formTargets = ["'self'", ...(redirectUri ? [new URL(redirectUri).origin] : [])].join(' ');
  c.header(
    'Content-Security-Policy',
    `default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action ${formTargets}; frame-ancestors 'none'; base-uri 'none'`,
  );
  c.header('Cache-Control', 'no-store');
  return c.html(page.value, status as 200);
}
