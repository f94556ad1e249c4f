import { html, type SafeHtml } from '../html.js';
import { layout } from '../layout.js';
import { describeScopes } from '../scopes.js';
import { form } from './forms.js';
import type { PageContext } from './login.js';

/**
 * SPEC §13: a client nobody registered by hand — its name is its own claim. `origin` is what it can
 * be known by: the host of its metadata document URL, or (dynamic registration) of its redirect URI.
 */
export interface UnverifiedClient {
  origin: string;
  kind: 'metadata_document' | 'dynamic';
}

/** The warning above an unverified client's request: what is known of it, and what is not. */
function unverifiedNotice(client: UnverifiedClient): SafeHtml {
  const how = client.kind === 'metadata_document'
    ? html`It identifies itself with a document published at <strong>${client.origin}</strong>.`
    : html`It registered itself automatically and will send you back to <strong>${client.origin}</strong>.`;
  return html`<p class="error" role="alert"><strong>Unverified app.</strong> Nobody has checked who made this app or that its name is true. ${how} Allow access only if you trust it and started this sign-in yourself.</p>`;
}

/** Approve or deny: the application, what it asks for in plain words, and who is signed in. */
export function consentPage(ctx: PageContext, options: { scope: string; userLabel: string; unverified?: UnverifiedClient }): SafeHtml {
  return layout({
    title: 'Allow access',
    branding: ctx.branding,
    themeHref: ctx.themeHref,
    body: html`<h1>${ctx.branding.appName} wants to access your account</h1>
${options.unverified ? unverifiedNotice(options.unverified) : ''}
<p class="muted">Signed in as ${options.userLabel} · <a href="/account?continue=${encodeURIComponent(ctx.basePath)}">Passkeys and authenticator app</a></p>
<p>It will be able to:</p>
<ul class="scopes">${describeScopes(options.scope).map((line) => html`<li>${line}</li>`)}</ul>
<div class="actions">
${form(`${ctx.basePath}/consent`, ctx.csrfToken, html`<input type="hidden" name="decision" value="approve"><button type="submit">Allow</button>`)}
${form(`${ctx.basePath}/consent`, ctx.csrfToken, html`<input type="hidden" name="decision" value="deny"><button type="submit" class="secondary">Deny</button>`)}
</div>`,
  });
}
