import type { Branding } from '../branding.js';
import { html, type SafeHtml } from '../html.js';
import { layout } from '../layout.js';
import { form } from './forms.js';

/** What every sign-out page needs: whose look, and (for the form) where it posts with which token. */
export interface LogoutPageContext {
  branding: Branding;
  themeHref: string;
}

/**
 * RP-Initiated Logout 1.0 §2: the question asked when a sign-out request cannot be attributed to
 * this browser's sign-in. One form (CSRF token, the validated request as hidden fields) with two
 * buttons; without script, keyboard-first: "Sign out" comes first and is the default.
 */
export function confirmLogoutPage(
  ctx: LogoutPageContext,
  options: { question: string; userLabel: string; action: string; csrfToken: string; hidden: Record<string, string> },
): SafeHtml {
  return layout({
    title: 'Sign out',
    branding: ctx.branding,
    themeHref: ctx.themeHref,
    body: html`<h1>${options.question}</h1>
<p class="muted">Signed in as ${options.userLabel}</p>
<p>Signing out ends your sign-in on this browser.</p>
${form(options.action, options.csrfToken, html`
${Object.entries(options.hidden).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<div class="actions">
<button type="submit" name="decision" value="confirm">Sign out</button>
<button type="submit" name="decision" value="cancel" class="secondary">Stay signed in</button>
</div>`)}`,
  });
}

/** After a sign-out that has nowhere to send the browser back to. */
export function signedOutPage(ctx: LogoutPageContext): SafeHtml {
  return layout({
    title: 'Signed out',
    branding: ctx.branding,
    themeHref: ctx.themeHref,
    body: html`<h1>You are signed out</h1>
<p>You can close this window.</p>`,
  });
}

/** The person chose to stay signed in (and the client gave no way back). */
export function stillSignedInPage(ctx: LogoutPageContext): SafeHtml {
  return layout({
    title: 'Still signed in',
    branding: ctx.branding,
    themeHref: ctx.themeHref,
    body: html`<h1>You are still signed in</h1>
<p>Nothing was changed. You can close this window.</p>`,
  });
}
