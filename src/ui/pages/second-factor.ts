import { html, type SafeHtml } from '../html.js';
import { layout } from '../layout.js';
import { errorMessage, form } from './forms.js';
import type { PageContext } from './login.js';

/** What the page asks for, in words. */
function intro(hasTotp: boolean, hasSms: boolean, sentTo: string): SafeHtml {
  if (hasTotp && hasSms) return html`<p class="muted">Enter the 6-digit code your authenticator app shows. We sent a 6-digit code to ${sentTo} too; it expires in 10 minutes.</p>`;
  if (hasSms) return html`<p class="muted">We sent a 6-digit code to ${sentTo}. It expires in 10 minutes.</p>`;
  return html`<p class="muted">Open your authenticator app and enter the 6-digit code it shows for this account.</p>`;
}

/**
 * The second step of a hosted sign-in (SPEC §12): the fields of the factors the person has — the
 * SMS code sent to their phone (`code`), the authenticator app's code (`totpCode`) — and, with an
 * authenticator app, a recovery code (`recoveryCode`) behind a disclosure. One form; the server takes
 * the field that was filled. No field is `required` in HTML, as any one of them will do.
 */
export function secondFactorPage(
  ctx: PageContext,
  options: { action: string; pending: string; factors: ReadonlyArray<'totp' | 'sms'>; sentTo: string; error?: string },
): SafeHtml {
  const hasTotp = options.factors.includes('totp');
  const hasSms = options.factors.includes('sms');
  const title = 'Enter your code';
  const totpField = html`
<label for="totpCode">Code from your authenticator app</label>
<input id="totpCode" name="totpCode" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6">`;
  const smsField = html`
<label for="code">${hasTotp ? 'Or the code we sent by SMS' : 'Code'}</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6">`;
  const recoveryField = html`
<details>
<summary>Use a recovery code</summary>
<label for="recoveryCode">Recovery code</label>
<input id="recoveryCode" name="recoveryCode" type="text" autocomplete="off" spellcheck="false" maxlength="32" aria-describedby="recovery-hint">
<p id="recovery-hint" class="muted hint">One of the ten codes you saved when you set up the app. Each works once.</p>
</details>`;
  return layout({
    title,
    branding: ctx.branding,
    themeHref: ctx.themeHref,
    body: html`<h1>${title}</h1>
${intro(hasTotp, hasSms, options.sentTo)}
${errorMessage(options.error)}
${form(options.action, ctx.csrfToken, html`
<input type="hidden" name="pending" value="${options.pending}">
${hasTotp ? totpField : ''}
${hasSms ? smsField : ''}
${hasTotp ? recoveryField : ''}
<button type="submit">Continue</button>`)}
<p><a class="button secondary" href="${ctx.basePath}">Start over</a></p>`,
  });
}
