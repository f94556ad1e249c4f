import type { Branding } from '../branding.js';
import { PASSKEY_SCRIPT_PATH } from '../head.js';
import { html, SafeHtml } from '../html.js';
import { layout } from '../layout.js';
import { errorMessage, form } from './forms.js';

export interface AccountPageContext {
  branding: Branding;
  themeHref: string;
  csrfToken: string;
  /** Who is signed in: their email, else phone. */
  userLabel: string;
  /**
   * The authorization request this page was opened from (its consent page links here), as a path of
   * this server — never a URL of elsewhere, so no open redirect: the page offers the way back.
   */
  continueTo?: string;
}

const ACCOUNT = '/account';

/** A path under /account, carrying the way back so the page after a form still offers it. */
function at(ctx: AccountPageContext, path: string): string {
  return ctx.continueTo ? `${ACCOUNT}${path}?continue=${encodeURIComponent(ctx.continueTo)}` : `${ACCOUNT}${path}`;
}

/** The link back to the authorization the person came from, when they came from one. */
function backLink(ctx: AccountPageContext): SafeHtml {
  return ctx.continueTo ? html`<p><a class="button secondary" href="${ctx.continueTo}">Back to ${ctx.branding.appName}</a></p>` : html``;
}

/** What adding a passkey takes besides the sign-in (SPEC §12 step-up): nothing, the app's code (or a recovery code), or an SMS code. */
export type StepUp = { factor: 'none' } | { factor: 'totp' } | { factor: 'sms'; sentTo: string };

function stepUpField(ctx: AccountPageContext, stepUp: StepUp): SafeHtml {
  if (stepUp.factor === 'none') return html``;
  if (stepUp.factor === 'totp') {
    return html`<label for="stepUpCode">Authenticator app code or recovery code, to add a passkey</label>
<input id="stepUpCode" name="stepUpCode" type="text" autocomplete="one-time-code" spellcheck="false" maxlength="32" aria-describedby="step-up-hint">
<p id="step-up-hint" class="muted hint">Adding a passkey takes your second factor too.</p>`;
  }
  return html`<label for="stepUpCode">Code we sent by SMS to ${stepUp.sentTo}</label>
<input id="stepUpCode" name="stepUpCode" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" aria-describedby="step-up-hint">
<p id="step-up-hint" class="muted hint">Adding a passkey takes your second factor too: get a code with "Text me a code" first.</p>`;
}

/** A passkey as the page lists it. */
export interface PasskeyView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  backedUp: boolean;
}

/** The authenticator app: on (since, codes left), or being set up (the secret and its QR code), or neither. */
export type TotpState =
  | { status: 'on'; enabledAt: string; recoveryCodesRemaining: number }
  | { status: 'pending'; secret: string; qrCodeSvg: string }
  | { status: 'off' };


/** `2026-12-02T07:40:00.000Z` → `2 Dec 2026` (no locale guessing on the server). */
function day(iso: string): string {
  const date = new Date(iso);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${date.getUTCDate()} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/**
 * The QR code of an enrollment. The SVG is `qrcode`'s output for our own key URI — markup made by
 * our generator from a URI we built, never text a person typed — so it is put in as is; a defensive
 * check refuses anything that is not a bare `<svg>` of paths.
 */
function qrCode(svg: string): SafeHtml {
  const isPlainSvg = /^<svg [^<]*>(<path [^<]*\/>|<path [^<]*><\/path>)+<\/svg>\s*$/.test(svg) && !/script|on\w+=|href/i.test(svg);
  if (!isPlainSvg) return html``;
  return html`<div class="qr" role="img" aria-label="QR code of the key for your authenticator app">${new SafeHtml(svg)}</div>`;
}

function passkeyItem(ctx: AccountPageContext, passkey: PasskeyView): SafeHtml {
  const field = `name-${passkey.id}`;
  return html`<li>
<p><strong>${passkey.name}</strong><br><span class="muted">Added ${day(passkey.createdAt)}${passkey.lastUsedAt ? html`, last used ${day(passkey.lastUsedAt)}` : ', not used yet'}${passkey.backedUp ? ', synced' : ''}</span></p>
${form(at(ctx, `/passkeys/${passkey.id}/rename`), ctx.csrfToken, html`
<label for="${field}">New name for ${passkey.name}</label>
<input id="${field}" name="name" type="text" maxlength="100" required value="${passkey.name}">
<button type="submit" class="secondary">Rename</button>`)}
${form(at(ctx, `/passkeys/${passkey.id}/remove`), ctx.csrfToken, html`
<button type="submit" class="secondary" aria-label="Remove ${passkey.name}">Remove</button>`)}
</li>`;
}

function passkeySection(ctx: AccountPageContext, passkeys: PasskeyView[], stepUp: StepUp): SafeHtml {
  return html`<section aria-labelledby="passkeys-heading">
<h2 id="passkeys-heading">Passkeys</h2>
<p class="muted">Sign in with your fingerprint, face or screen lock instead of a password.</p>
${passkeys.length === 0 ? html`<p>You have no passkeys yet.</p>` : html`<ul class="list">${passkeys.map((passkey) => passkeyItem(ctx, passkey))}</ul>`}
${form(at(ctx, `/passkeys`), ctx.csrfToken, html`
<div id="passkey-register" data-options="${ACCOUNT}/passkeys/options" hidden>
<input type="hidden" name="credential" value="">
<label for="passkey-name">Name for the new passkey</label>
<input id="passkey-name" name="name" type="text" maxlength="100" value="Passkey" aria-describedby="passkey-name-hint">
<p id="passkey-name-hint" class="muted hint">For example the device it lives on.</p>
${stepUpField(ctx, stepUp)}
<button type="button" id="passkey-register-button">Add a passkey</button>
<p id="passkey-register-status" class="error" role="alert" hidden></p>
</div>`)}
${stepUp.factor === 'sms' ? form(at(ctx, `/sms-code`), ctx.csrfToken, html`<button type="submit" class="secondary">Text me a code</button>`) : ''}
</section>`;
}

function enrollmentForm(ctx: AccountPageContext, enrollment: { secret: string; qrCodeSvg: string }): SafeHtml {
  return html`<p>Scan this QR code with your authenticator app, then enter the 6-digit code it shows.</p>
${qrCode(enrollment.qrCodeSvg)}
<p>Cannot scan it? Enter this key in the app:</p>
<p class="secret" id="totp-secret">${enrollment.secret}</p>
${form(at(ctx, `/totp/confirm`), ctx.csrfToken, html`
<label for="totpCode">Code from your authenticator app</label>
<input id="totpCode" name="totpCode" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
<button type="submit">Turn on</button>`)}
${form(at(ctx, `/totp/remove`), ctx.csrfToken, html`<button type="submit" class="secondary">Cancel setup</button>`)}`;
}

function totpSection(ctx: AccountPageContext, totp: TotpState): SafeHtml {
  let content: SafeHtml;
  if (totp.status === 'on') {
    content = html`<p>On since ${day(totp.enabledAt)}. ${totp.recoveryCodesRemaining} of 10 recovery codes left.</p>
${form(at(ctx, `/totp/remove`), ctx.csrfToken, html`
<label for="remove-code">Code from your authenticator app, or a recovery code</label>
<input id="remove-code" name="code" type="text" autocomplete="one-time-code" spellcheck="false" maxlength="32" required>
<button type="submit" class="secondary">Remove the authenticator app</button>`)}`;
  } else if (totp.status === 'pending') {
    content = enrollmentForm(ctx, totp);
  } else {
    content = html`<p>Sign-ins will also ask for a code from an app such as Google Authenticator, 1Password or Aegis.</p>
${form(at(ctx, `/totp`), ctx.csrfToken, html`<button type="submit">Set up an authenticator app</button>`)}`;
  }
  return html`<section aria-labelledby="totp-heading">
<h2 id="totp-heading">Authenticator app</h2>
${content}
</section>`;
}

/**
 * The hosted account page (SPEC §12): the passkeys of the person signed in in this browser (add with
 * the passkey script; rename, remove with plain forms) and their authenticator app (set up with a
 * server-rendered QR code, confirm with a first code, remove with a code). Every form carries the
 * page's CSRF token.
 */
export function accountPage(
  ctx: AccountPageContext,
  options: { passkeys: PasskeyView[]; totp: TotpState; stepUp: StepUp; notice?: string; error?: string },
): SafeHtml {
  return layout({
    title: 'Your account',
    branding: ctx.branding,
    themeHref: ctx.themeHref,
    scripts: [PASSKEY_SCRIPT_PATH],
    body: html`<h1>Your account</h1>
<p class="muted">Signed in to ${ctx.branding.appName} as ${ctx.userLabel}.</p>
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
${errorMessage(options.error)}
${passkeySection(ctx, options.passkeys, options.stepUp)}
${totpSection(ctx, options.totp)}
<section aria-labelledby="sign-out-heading">
<h2 id="sign-out-heading">This browser</h2>
${form(at(ctx, `/sign-out`), ctx.csrfToken, html`<button type="submit" class="secondary">Sign out</button>`)}
</section>
${backLink(ctx)}`,
  });
}

/** The ten recovery codes, shown this once after the authenticator app is turned on. */
export function recoveryCodesPage(ctx: AccountPageContext, codes: string[]): SafeHtml {
  return layout({
    title: 'Save your recovery codes',
    branding: ctx.branding,
    themeHref: ctx.themeHref,
    body: html`<h1>Save your recovery codes</h1>
<p class="notice" role="status">Your authenticator app is on.</p>
<p>If you lose your phone, each of these codes signs you in once instead of the app's code. Keep them somewhere safe: they are shown only now.</p>
<ol class="codes" id="recovery-codes">${codes.map((code) => html`<li>${code}</li>`)}</ol>
<p><a class="button" href="${at(ctx, '')}">I saved them</a></p>`,
  });
}

/** The account page without a sign-in in this browser. */
export function signedOutAccountPage(branding: Branding, themeHref: string): SafeHtml {
  return layout({
    title: 'Not signed in',
    branding,
    themeHref,
    body: html`<h1>You are not signed in</h1>
<p>Sign in through the application you use, then come back to this page to manage your passkeys and authenticator app.</p>`,
  });
}
