import type { Branding } from './branding.js';
import { html, type SafeHtml } from './html.js';

/**
 * The page shell: no script at all, one stylesheet served by Latchkey and one per-application theme
 * (the accent colour), so the Content-Security-Policy needs no `unsafe-inline`.
 */
export function layout(options: { title: string; branding: Branding; themeHref: string; body: SafeHtml }): SafeHtml {
  const { branding } = options;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · ${branding.appName}</title>
<link rel="stylesheet" href="/assets/hosted.css">
<link rel="stylesheet" href="${options.themeHref}">
</head>
<body>
<main class="card">
<header class="brand">
${branding.logoUrl ? html`<img class="logo" src="${branding.logoUrl}" alt="" width="48" height="48">` : ''}
<p class="app-name">${branding.appName}</p>
</header>
${options.body}
</main>
<footer class="footer"><p>Secured by Latchkey for ${branding.organizationName}</p></footer>
</body>
</html>`;
}
