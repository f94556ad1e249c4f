import { html, type SafeHtml } from './html.js';

/**
 * The `<head>` of every page Latchkey renders: UTF-8, the phone viewport, no referrer (codes and
 * tokens never leak through `Referer`, RFC 9700 §4.2.4), the one served stylesheet and any further
 * ones (a per-application theme) — no script and no inline style, so the CSP needs no `unsafe-inline`.
 */
export function documentHead(title: string, stylesheets: readonly string[] = []): SafeHtml {
  return html`<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="/assets/hosted.css">
${stylesheets.map((href) => html`<link rel="stylesheet" href="${href}">`)}
</head>`;
}
