import type { Context } from 'hono';
import type { SafeHtml } from '../../ui/html.js';

/**
 * Latchkey's own pages (/ and /docs) hold no script, no form, no image and nothing of a tenant, so
 * their policy is stricter than the hosted pages': styles from here and nothing else. The same for
 * every visitor, so shared caches may keep them a few minutes (a new version shows after that).
 */
export const SITE_PAGE_CSP = "default-src 'none'; style-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

export function sendSitePage(c: Context, page: SafeHtml): Response {
  c.header('Content-Security-Policy', SITE_PAGE_CSP);
  c.header('Cache-Control', 'public, max-age=300');
  return c.html(page.value);
}
