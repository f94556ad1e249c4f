import type { Branding } from '../branding.js';
import { html, type SafeHtml } from '../html.js';
import { PASSKEY_SCRIPT_PATH } from '../head.js';
import { layout } from '../layout.js';
import { errorMessage, form } from './forms.js';

export interface PageContext {
  branding: Branding;
  themeHref: string;
  /** Base path of this authorization session's pages, e.g. `/oauth/authorize/azr_…`. */
  basePath: string;
  csrfToken: string;
}

/**
 * Sign in with email and password, or ask for an email code: one form, one email field, two submit
 * buttons. The second posts to `…/email-code` by `formaction`, so no script is needed; the password
 * is not `required` in HTML (the code path has none) — the server asks for it when it is missing.
 * SPEC §12: the passkey part (a button, and conditional-UI autofill on the email field, marked
 * `webauthn`) is `hidden` until the passkey script shows it; it posts the credential to `…/passkey`
 * through this same form, so a page without script is the password and email-code page it was.
 */
export function loginPage(ctx: PageContext, options: { email?: string; error?: string } = {}): SafeHtml {
  return layout({
    title: 'Sign in',
    branding: ctx.branding,
    themeHref: ctx.themeHref,
    scripts: [PASSKEY_SCRIPT_PATH],
    body: html`<h1>Sign in to continue to ${ctx.branding.appName}</h1>
${errorMessage(options.error)}
${form(`${ctx.basePath}/login`, ctx.csrfToken, html`
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username webauthn" required value="${options.email ?? ''}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" aria-describedby="password-hint">
<p id="password-hint" class="muted hint">No password? Leave it empty and get a sign-in code by email.</p>
<button type="submit">Sign in</button>
<p class="divider">or</p>
<button type="submit" formaction="${ctx.basePath}/email-code" class="secondary">Email me a sign-in code</button>
<div id="passkey" data-options="${ctx.basePath}/passkey/options" data-action="${ctx.basePath}/passkey" hidden>
<input type="hidden" name="credential" value="">
<button type="button" id="passkey-button" class="secondary">Sign in with a passkey</button>
<p id="passkey-status" class="error" role="alert" hidden></p>
</div>`)}`,
  });
}

/** The code sent by email (or SMS for a second factor), with the state that comes back with it. */
export function codePage(ctx: PageContext, options: { action: string; sentTo: string; hidden: Record<string, string>; error?: string; title: string }): SafeHtml {
  return layout({
    title: options.title,
    branding: ctx.branding,
    themeHref: ctx.themeHref,
    body: html`<h1>${options.title}</h1>
<p class="muted">We sent a 6-digit code to ${options.sentTo}. It expires in 10 minutes.</p>
${errorMessage(options.error)}
${form(options.action, ctx.csrfToken, html`
${Object.entries(options.hidden).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<label for="code">Code</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
<button type="submit">Continue</button>`)}
<p><a class="button secondary" href="${ctx.basePath}">Start over</a></p>`,
  });
}
