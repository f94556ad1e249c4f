import { html, type SafeHtml } from '../html.js';
import { layout } from '../layout.js';
import { describeScopes } from '../scopes.js';
import { form } from './forms.js';
import type { PageContext } from './login.js';

/** Approve or deny: the application, what it asks for in plain words, and who is signed in. */
export function consentPage(ctx: PageContext, options: { scope: string; userLabel: string }): SafeHtml {
  return layout({
    title: 'Allow access',
    branding: ctx.branding,
    themeHref: ctx.themeHref,
    body: html`<h1>${ctx.branding.appName} wants to access your account</h1>
<p class="muted">Signed in as ${options.userLabel} · <a href="/account?continue=${encodeURIComponent(ctx.basePath)}">Passkeys and authenticator app</a></p>
<p>It will be able to:</p>
<ul class="scopes">${describeScopes(options.scope).map((line) => html`<li>${line}</li>`)}</ul>
<div class="actions">
${form(`${ctx.basePath}/consent`, ctx.csrfToken, html`<input type="hidden" name="decision" value="approve"><button type="submit">Allow</button>`)}
${form(`${ctx.basePath}/consent`, ctx.csrfToken, html`<input type="hidden" name="decision" value="deny"><button type="submit" class="secondary">Deny</button>`)}
</div>`,
  });
}
