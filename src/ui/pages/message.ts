import type { Branding } from '../branding.js';
import { DEFAULT_ACCENT } from '../branding.js';
import { html, type SafeHtml } from '../html.js';
import { layout } from '../layout.js';

const NEUTRAL: Branding = { appName: 'Latchkey', logoUrl: null, accentColor: DEFAULT_ACCENT, organizationDisplayName: null };

/**
 * A page that only explains (expired session, bad link, refused form). It never shows internals:
 * the request id is the only detail, for support.
 */
export function messagePage(options: {
  title: string;
  message: string;
  branding?: Branding;
  themeHref?: string;
  link?: { href: string; label: string };
  requestId?: string;
}): SafeHtml {
  return layout({
    title: options.title,
    branding: options.branding ?? NEUTRAL,
    themeHref: options.themeHref ?? '/assets/theme/default.css',
    body: html`<h1>${options.title}</h1>
<p>${options.message}</p>
${options.link ? html`<p><a class="button" href="${options.link.href}">${options.link.label}</a></p>` : ''}
${options.requestId ? html`<p class="muted">Reference: ${options.requestId}</p>` : ''}`,
  });
}
