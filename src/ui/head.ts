import { html, type SafeHtml } from './html.js';

/**
 * The `<head>` of every page Latchkey renders: UTF-8, the phone viewport, no referrer (codes and
 * tokens never leak through `Referer`, RFC 9700 §4.2.4), the one served stylesheet and any further
 * ones (a per-application theme) — no inline script or style, so the CSP needs no `unsafe-inline`.
 * The only script is the passkey one, a same-origin file, on the pages that offer passkeys.
 */
export function documentHead(title: string, stylesheets: readonly string[] = [], scripts: readonly string[] = []): SafeHtml {
  return html`<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="/assets/hosted.css">
${stylesheets.map((href) => html`<link rel="stylesheet" href="${href}">`)}
${scripts.map((src) => html`<script src="${src}" defer></script>`)}
</head>`;
}

/** The one script of the hosted pages (passkey ceremonies, SPEC §12), served by Latchkey. */
export const PASSKEY_SCRIPT_PATH = '/assets/passkey.js';
