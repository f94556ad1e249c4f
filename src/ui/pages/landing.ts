import { html, type SafeHtml } from '../html.js';
import { siteLayout } from '../site-layout.js';

/** Where a visitor of `/` can go next: the documentation and the discovery documents (SPEC §10). */
const LINKS: ReadonlyArray<{ href: string; label: string; note: string }> = [
  { href: '/docs', label: 'API reference', note: 'every endpoint, its parameters, request body, responses and credential' },
  { href: '/openapi.json', label: 'OpenAPI document', note: 'the same reference as OpenAPI 3.1, for tools' },
  { href: '/.well-known/openid-configuration', label: 'OpenID Connect discovery', note: 'OpenID Connect Discovery 1.0' },
  { href: '/.well-known/oauth-authorization-server', label: 'OAuth authorization server metadata', note: 'RFC 8414' },
  { href: '/.well-known/jwks.json', label: 'JSON Web Key Set', note: 'the public keys that verify Latchkey tokens (RFC 7517)' },
  { href: '/account', label: 'Your account', note: 'passkeys and authenticator app of the person signed in in this browser' },
];

/** GET / — the product, its version and links; nothing of any organization or application. */
export function landingPage(version: string): SafeHtml {
  return siteLayout({
    title: 'Latchkey',
    version,
    body: html`<main class="site-main">
<h1>Latchkey</h1>
<p>A self-hosted authorization server: OAuth 2.0 and OpenID Connect, hosted sign-in pages, sessions for your applications.</p>
<p class="muted">Version ${version}</p>
<h2>Documentation and discovery</h2>
<ul class="link-list">
${LINKS.map((link) => html`<li><a href="${link.href}">${link.label}</a> <span class="muted">— ${link.note}</span></li>
`)}</ul>
</main>`,
  });
}
