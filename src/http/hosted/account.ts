import type { Context, Handler } from 'hono';
import { accountOverview, findBrowserAccount, sendStepUpCode, signOutBrowserAccount, stepUpFactors, type BrowserAccount } from '../../flows/account.js';
import type { FlowDeps } from '../../flows/deps.js';
import { passkeyRegistrationOptions, registerPasskey, removePasskey, renamePasskey } from '../../flows/passkeys.js';
import { confirmTotpEnrollment, removeTotp, startTotpEnrollment } from '../../flows/totp.js';
import {
  ApiError, BadRequest, Conflict, NotFound, OtpExpired, OtpInvalid, PasskeyChallengeInvalid, PasskeyRegistrationFailed, RateLimited, RecoveryCodeInvalid,
  StepUpRequired, TotpInvalid,
} from '../../protocol/errors.js';
import { maskDestination } from '../../protocol/contacts.js';
import { PASSKEY_NAME_MAX_LENGTH } from '../../protocol/webauthn.js';
import { DEFAULT_ACCENT } from '../../ui/branding.js';
import { accountPage, recoveryCodesPage, signedOutAccountPage, type AccountPageContext, type StepUp, type TotpState } from '../../ui/pages/account.js';
import { messagePage } from '../../ui/pages/message.js';
import type { AppEnv } from '../env.js';
import { RegistrationCredential } from '../schemas/passkeys.js';
import { clearSessionCookie, csrfTokenFor, readSessionCookie, verifyFormOrigin } from './browser-state.js';
import { clientIp } from '../middleware/rate-limit.js';
import { readHostedForm, readJsonField } from './form.js';
import { brandingOf, sendPage } from './render.js';

/** What a finished action says on the page it redirects to (a fixed set: no text travels in the URL). */
const NOTICES: Record<string, string> = {
  'passkey-added': 'Your passkey was added. You can sign in with it now.',
  'passkey-renamed': 'The passkey was renamed.',
  'passkey-removed': 'The passkey was removed.',
  'totp-started': 'Scan the QR code below to set up your authenticator app.',
  'sms-sent': 'We sent a 6-digit code by SMS. It expires in 10 minutes.',
  'totp-removed': 'The authenticator app was removed.',
  'totp-cancelled': 'The authenticator app setup was cancelled.',
};

/**
 * The way back to the authorization request the consent page linked from: a path of this server's
 * hosted pages only (anything else is dropped, so `continue` cannot redirect anywhere else).
 */
const CONTINUE = /^\/oauth\/authorize\/[A-Za-z0-9_-]{1,128}$/;
const continueOf = (c: Context<AppEnv>): string | undefined => {
  const path = c.req.query('continue');
  return path !== undefined && CONTINUE.test(path) ? path : undefined;
};

/** A passkey id as the store makes them (`pkey_…`); anything else is no passkey of this person. */
const PASSKEY_ID = /^pkey_[A-Za-z0-9_-]{1,64}$/;

/**
 * The hosted account page (SPEC §12) at `/account`: the person signed in in this browser — the
 * hosted login session's cookie — manages their passkeys and authenticator app. Every form is
 * CSRF-checked against a token bound to this browser and this sign-in (RFC 9700 §4.7); every answer
 * is a page (or a 303 to one) with the hosted pages' CSP and `no-store`; nothing is asked of the
 * Store here but through flows.
 */
export function accountHandlers(deps: FlowDeps, options: { trustedProxyHops: number }) {
  /** The CSRF token's purpose: this sign-in's account page (a new sign-in needs a fresh page). */
  const purpose = (account: BrowserAccount) => `account:${account.session.id}`;

  function pageContext(c: Context<AppEnv>, account: BrowserAccount): AccountPageContext {
    const { consumer, application } = account.holder;
    return {
      branding: brandingOf({ application, organization: account.organization }),
      themeHref: `/assets/theme/${application.id}.css`,
      csrfToken: csrfTokenFor(c, deps, purpose(account)),
      userLabel: consumer.email ?? consumer.phone ?? 'your account',
      continueTo: continueOf(c),
    };
  }

  /** The account page, with what it lists read now; `totp` overrides the authenticator-app part. */
  async function render(c: Context<AppEnv>, account: BrowserAccount, status: number, extra: { notice?: string; error?: string } = {}): Promise<Response> {
    const overview = await accountOverview(deps, account);
    const factor = overview.secondFactors.secondFactors.find((f) => f.type === 'totp');
    const totp: TotpState =
      factor && factor.type === 'totp' ? { status: 'on', enabledAt: factor.enabledAt, recoveryCodesRemaining: factor.recoveryCodesRemaining }
      : overview.enrollment ? { status: 'pending', secret: overview.enrollment.secret, qrCodeSvg: overview.enrollment.qrCodeSvg }
      : { status: 'off' };
    const phone = account.holder.consumer.phone;
    const stepUp: StepUp =
      overview.stepUp.includes('totp') ? { factor: 'totp' }
      : overview.stepUp.includes('sms') ? { factor: 'sms', sentTo: phone ? maskDestination(phone) : 'your phone' }
      : { factor: 'none' };
    const ctx = pageContext(c, account);
    return sendPage(c, accountPage(ctx, { passkeys: overview.passkeys, totp, stepUp, ...extra }), status, undefined, ctx.branding.logoUrl);
  }

  /** Post/redirect/get: back to the page, which says what was done. */
  const done = (c: Context<AppEnv>, notice: keyof typeof NOTICES) => {
    const back = continueOf(c);
    return c.redirect(`/account?done=${notice}${back ? `&continue=${encodeURIComponent(back)}` : ''}`, 303);
  };

  /** A form POST of the page: read, then CSRF and origin checked (403, nothing done). */
  async function form(c: Context<AppEnv>, account: BrowserAccount, isChange = true): Promise<Record<string, string>> {
    const values = await readHostedForm(c);
    verifyFormOrigin(c, deps, purpose(account), values.csrf);
    // As the APIs' routes under /consumers/me: each change takes a point of the per-IP budget
    // (options and enrollment starts write rows; removal takes recovery codes). Signing out does not.
    if (isChange) await deps.rateLimits.consume('accountChangesPerIp', clientIp(c, options.trustedProxyHops));
    return values;
  }

  /** No sign-in in this browser → the page that says so; refusals → a page; the unexpected → the request id only (SPEC §3). */
  const page = (handler: (c: Context<AppEnv>, account: BrowserAccount) => Promise<Response>): Handler<AppEnv> => async (c) => {
    try {
      const token = readSessionCookie(c, deps.issuer);
      const account = await findBrowserAccount(deps, token);
      if (!account) {
        if (token) clearSessionCookie(c, deps.issuer);
        const neutral = { appName: 'Latchkey', logoUrl: null, accentColor: DEFAULT_ACCENT, organizationDisplayName: null };
        return sendPage(c, signedOutAccountPage(neutral, '/assets/theme/default.css'), 401);
      }
      return await handler(c, account);
    } catch (error) {
      if (error instanceof ApiError) {
        return sendPage(c, messagePage({ title: 'That did not work', message: error.message, link: { href: '/account', label: 'Back to your account' } }), error.status);
      }
      deps.logger.error({ requestId: c.get('requestId'), err: error }, 'account page failed');
      return sendPage(c, messagePage({ title: 'Something went wrong', message: 'Please try again in a moment.', requestId: c.get('requestId') }), 500);
    }
  };

  /** A passkey name from a form: trimmed, 1–100 characters; undefined otherwise. */
  const passkeyName = (value: string | undefined) => {
    const name = (value ?? '').trim();
    return name.length >= 1 && name.length <= PASSKEY_NAME_MAX_LENGTH ? name : undefined;
  };

  /** The passkey id of the path, when it can be one. */
  const passkeyIdOf = (c: Context<AppEnv>) => {
    const id = c.req.param('passkeyId') ?? '';
    if (!PASSKEY_ID.test(id)) throw new NotFound('no such passkey');
    return id;
  };

  return {
    /** GET /account */
    show: page(async (c, account) => render(c, account, 200, { notice: NOTICES[c.req.query('done') ?? ''] })),

    /** POST /account/passkeys/options — registration options as JSON for the page's script (CSRF token in a form body). */
    passkeyOptions: page(async (c, account) => {
      await form(c, account);
      c.header('Cache-Control', 'no-store');
      return c.json(await passkeyRegistrationOptions(deps, account.holder));
    }),

    /** POST /account/passkeys — the credential of navigator.credentials.create() (JSON in `credential`) and a name. */
    registerPasskey: page(async (c, account) => {
      const values = await form(c, account);
      const credential = readJsonField(values.credential, RegistrationCredential);
      const name = passkeyName(values.name) ?? 'Passkey';
      if (!credential) return render(c, account, 400, { error: 'The passkey answer could not be read. Try again.' });
      // SPEC §12 step-up: the second factor's current code (the flow knows which factor the person has).
      const code = (values.stepUpCode ?? '').trim();
      const hasTotp = (await stepUpFactors(deps, account)).includes('totp');
      const proof = code === '' ? undefined : !hasTotp ? { code } : /^\d{6}$/.test(code) ? { totpCode: code } : { recoveryCode: code };
      if (code !== '' && !/^[A-Za-z0-9 -]{6,32}$/.test(code)) return render(c, account, 400, { error: 'Enter the code of your second factor.' });
      try {
        await registerPasskey(deps, account.holder, { response: credential, name, proof });
      } catch (error) {
        if (error instanceof PasskeyRegistrationFailed) return render(c, account, 400, { error: `The passkey was not added: ${error.message}.` });
        if (error instanceof PasskeyChallengeInvalid) return render(c, account, 400, { error: 'Adding the passkey took too long. Try again.' });
        if (error instanceof StepUpRequired) return render(c, account, 403, { error: 'Adding a passkey takes your second factor too: enter its code, then try again.' });
        if (error instanceof OtpInvalid || error instanceof TotpInvalid || error instanceof RecoveryCodeInvalid) return render(c, account, 401, { error: 'That code is not right. The passkey was not added.' });
        if (error instanceof OtpExpired) return render(c, account, 401, { error: 'That code has expired. Get a new one, then try again.' });
        if (error instanceof RateLimited) return render(c, account, 429, { error: 'Too many attempts. Wait a while before trying again.' });
        if (error instanceof BadRequest) return render(c, account, 400, { error: 'Enter the code of your second factor.' });
        throw error;
      }
      return done(c, 'passkey-added');
    }),

    /** POST /account/sms-code — sends the SMS code that adding a passkey takes from a person whose second factor is SMS. */
    smsCode: page(async (c, account) => {
      await form(c, account);
      await sendStepUpCode(deps, account);
      return done(c, 'sms-sent');
    }),

    /** POST /account/passkeys/:passkeyId/rename */
    renamePasskey: page(async (c, account) => {
      const values = await form(c, account);
      const name = passkeyName(values.name);
      if (!name) return render(c, account, 400, { error: `Enter a name of 1 to ${PASSKEY_NAME_MAX_LENGTH} characters.` });
      await renamePasskey(deps, account.holder, passkeyIdOf(c), name);
      return done(c, 'passkey-renamed');
    }),

    /** POST /account/passkeys/:passkeyId/remove */
    removePasskey: page(async (c, account) => {
      await form(c, account);
      await removePasskey(deps, account.holder.consumer, passkeyIdOf(c), { application: account.holder.application });
      return done(c, 'passkey-removed');
    }),

    /** POST /account/totp — a new enrollment; the page then shows its QR code and secret. */
    startTotp: page(async (c, account) => {
      await form(c, account);
      try {
        await startTotpEnrollment(deps, account.owner);
      } catch (error) {
        if (error instanceof Conflict) return render(c, account, 409, { error: 'An authenticator app is on already. Remove it first to set up another.' });
        throw error;
      }
      return done(c, 'totp-started');
    }),

    /** POST /account/totp/confirm — the first code turns the app on; the ten recovery codes are shown this once. */
    confirmTotp: page(async (c, account) => {
      const values = await form(c, account);
      const code = (values.totpCode ?? '').trim();
      if (!/^\d{6}$/.test(code)) return render(c, account, 400, { error: 'Enter the 6-digit code your app shows.' });
      try {
        const { recoveryCodes } = await confirmTotpEnrollment(deps, account.owner, code);
        return sendPage(c, recoveryCodesPage(pageContext(c, account), recoveryCodes), 200);
      } catch (error) {
        if (error instanceof TotpInvalid) return render(c, account, 401, { error: 'That code is not right. Check the time on your phone, and enter the code the app shows now.' });
        if (error instanceof RateLimited) return render(c, account, 429, { error: 'Too many attempts. Wait a while before trying again.' });
        if (error instanceof Conflict) return render(c, account, 409, { error: 'This setup changed meanwhile. Start again.' });
        throw error;
      }
    }),

    /**
     * POST /account/totp/remove — with a current code or a recovery code (a stolen session alone
     * cannot strip the factor, docs/architecture.md); a setup not yet confirmed is cancelled with none.
     */
    removeTotp: page(async (c, account) => {
      const values = await form(c, account);
      const code = (values.code ?? '').trim();
      const proof = code === '' ? undefined : /^\d{6}$/.test(code) ? { totpCode: code } : /^[A-Za-z0-9 -]{10,32}$/.test(code) ? { recoveryCode: code } : null;
      if (proof === null) return render(c, account, 400, { error: 'Enter the 6-digit code your app shows, or a recovery code.' });
      try {
        await removeTotp(deps, account.owner, proof);
      } catch (error) {
        if (error instanceof BadRequest) return render(c, account, 400, { error: 'Enter the 6-digit code your app shows, or a recovery code.' });
        if (error instanceof TotpInvalid || error instanceof RecoveryCodeInvalid) return render(c, account, 401, { error: 'That code is not right.' });
        if (error instanceof RateLimited) return render(c, account, 429, { error: 'Too many attempts. Wait a while before trying again.' });
        if (!(error instanceof NotFound)) throw error;
      }
      return done(c, proof ? 'totp-removed' : 'totp-cancelled');
    }),

    /** POST /account/sign-out — this browser's sign-in ends. */
    signOut: page(async (c, account) => {
      await form(c, account, false);
      await signOutBrowserAccount(deps, account);
      clearSessionCookie(c, deps.issuer);
      const ctx = pageContext(c, account);
      return sendPage(c, messagePage({ title: 'You are signed out', message: 'This browser is no longer signed in.', branding: ctx.branding, themeHref: ctx.themeHref }), 200);
    }),
  };
}
