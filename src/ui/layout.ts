import type { Branding } from './branding.js';
import { documentHead } from './head.js';
import { html, type SafeHtml } from './html.js';

/**
 * The page shell: no script (but the passkey script on the pages that name it), one stylesheet served by Latchkey and one per-application theme
 * (the accent colour), so the Content-Security-Policy needs no `unsafe-inline`. The application's
 * name is not repeated here: each page's heading says it where it matters (issue 11.16).
 */
export function layout(options: { title: string; branding: Branding; themeHref: string; body: SafeHtml; scripts?: readonly string[] }): SafeHtml {
  const { branding } = options;
  return html`<!doctype html>
<html lang="en">
${documentHead(`${options.title} · ${branding.appName}`, [options.themeHref], options.scripts)}
<body>
<main class="card">
${branding.logoUrl ? html`<header class="brand"><img class="logo" src="${branding.logoUrl}" alt="" width="48" height="48"></header>` : ''}
${options.body}
</main>
<footer class="footer"><p>Secured by Latchkey${branding.organizationDisplayName ? html` for ${branding.organizationDisplayName}` : ''}</p></footer>
</body>
</html>`;
}
