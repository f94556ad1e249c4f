import { documentHead } from './head.js';
import { html, type SafeHtml } from './html.js';

/**
 * The shell of Latchkey's own public pages (the landing page and the API reference): no script, the
 * one stylesheet the hosted pages use, no application or organization anywhere — these pages are the
 * same for every visitor (SPEC §10), so they can be cached and never name a tenant.
 */
export function siteLayout(options: { title: string; version: string; body: SafeHtml }): SafeHtml {
  return html`<!doctype html>
<html lang="en">
${documentHead(options.title)}
<body class="site">
<header class="site-header">
<a class="product" href="/">Latchkey</a>
<nav aria-label="Site">
<ul>
<li><a href="/docs">API reference</a></li>
<li><a href="/openapi.json">OpenAPI document</a></li>
</ul>
</nav>
</header>
${options.body}
<footer class="site-footer"><p>Latchkey ${options.version}</p></footer>
</body>
</html>`;
}
