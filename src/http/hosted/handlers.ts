import type { Context, Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import {
  completeSecondFactor, hostedSecondFactors, loginWithEmailCode, loginWithPassword, pendingSecondFactors, readSecondFactorPending, sendLoginOtp, signSecondFactorPending,
  type HostedFirstFactor,
} from '../../flows/login.js';
import {
  deniedRedirect, failHostedAuthorization, findHostedUser, finishHostedAuthorization, isInHostedPool, loadHostedRequest, needsConsent, signInMismatch,
  type HostedRequest,
} from '../../flows/oauth/hosted.js';
import { authenticateBearer } from '../../flows/oauth/tokens.js';
import { loginWithPasskeyHosted, passkeySignInOptions } from '../../flows/passkey-sign-in.js';
import { destinationBudgetKey, requestOtp } from '../../flows/otp.js';
import { settingsOf } from '../../flows/organization-settings.js';
import { maskDestination, normalizeEmail } from '../../protocol/contacts.js';
import { consentScope } from '../../protocol/openid-claims.js';
import {
  ApiError, BadRequest, DeliveryFailed, OtpExpired, OtpInvalid, PasskeyChallengeInvalid, PasskeyInvalid, RateLimited, RecoveryCodeInvalid, TotpInvalid,
} from '../../protocol/errors.js';
import { AccessDenied, ConsentRequired, InvalidCredentials, LoginRequired, type OAuthError } from '../../protocol/oauth-errors.js';
import { hasPrompt } from '../../protocol/oidc-request.js';
import type { Consumer, Session } from '../../flows/domain.js';
import type { SafeHtml } from '../../ui/html.js';
import { consentPage } from '../../ui/pages/consent.js';
import { unverifiedClientOf } from './unverified-client.js';
import { codePage, loginPage, type PageContext } from '../../ui/pages/login.js';
import { messagePage } from '../../ui/pages/message.js';
import { secondFactorPage as secondFactorForm } from '../../ui/pages/second-factor.js';
import type { AppEnv } from '../env.js';
import { clientIp } from '../middleware/rate-limit.js';
import { clearSessionCookie, csrfTokenFor, readSessionCookie, verifyFormOrigin, writeSessionCookie } from './browser-state.js';
import { readHostedForm, readJsonField } from './form.js';
import { AuthenticationCredential } from '../schemas/passkeys.js';
import { brandingOf, sendPage } from './render.js';

type Form = Record<string, string>;

/** OpenID Connect Core §3.1.2.1 `prompt=none`: this request must never show a page. */
const isPromptNone = (hosted: HostedRequest) => hasPrompt(hosted.request.prompt, 'none');

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/** The hosted pages of SPEC §7, as handlers for the route table. */
export function hostedHandlers(deps: FlowDeps, options: { trustedProxyHops: number }) {
  const context = (c: Context, hosted: HostedRequest): PageContext => ({
    branding: brandingOf(hosted),
    themeHref: `/assets/theme/${hosted.application.id}.css`,
    basePath: `/oauth/authorize/${hosted.request.id}`,
    csrfToken: csrfTokenFor(c, deps, hosted.request.id),
  });

  /** Loads the session of the page, or answers with the page that explains why it cannot go on. */
  async function load(c: Context<AppEnv>): Promise<HostedRequest | Response> {
    const hosted = await loadHostedRequest(deps, c.req.param('id') ?? '');
    if (!hosted) {
      return sendPage(c, messagePage({ title: 'Sign-in link not valid', message: 'This sign-in link is not valid. Go back to the application and start again.' }), 404);
    }
    if (hosted.status === 'finished') {
      const back = deniedRedirect(deps, hosted.request, new AccessDenied('the sign-in session expired'));
      // OpenID Connect Core §3.1.2.1: `prompt=none` never shows a page, this one included.
      if (isPromptNone(hosted)) return c.redirect(back, 302);
      return sendPage(
        c,
        messagePage({
          title: 'This sign-in has expired',
          message: `This sign-in session has ended: it expired or was already used. Go back to ${hosted.application.name} to start again.`,
          branding: brandingOf(hosted),
          themeHref: `/assets/theme/${hosted.application.id}.css`,
          link: { href: back, label: `Back to ${hosted.application.name}` },
        }),
        410,
        hosted.request.redirectUri,
      );
    }
    return hosted;
  }

  /** The browser's sign-in on these pages (session cookie → live login session of this organization and environment). */
  async function browserSignIn(c: Context<AppEnv>, hosted: HostedRequest): Promise<Session | undefined> {
    const token = readSessionCookie(c, deps.issuer);
    if (!token) return undefined;
    try {
      const { session } = await authenticateBearer(deps, token, ['login']);
      if (session && (await isInHostedPool(deps, hosted, session))) return session;
    } catch {
      clearSessionCookie(c, deps.issuer);
    }
    return undefined;
  }

  /**
   * The user signed in on these pages, when that sign-in may answer this request: not when the
   * request asks for a new one (`prompt=login`, `max_age`) or names another person (`id_token_hint`)
   * — OpenID Connect Core §3.1.2.1. Such a browser is treated as not signed in: a fresh login.
   */
  async function currentUser(c: Context<AppEnv>, hosted: HostedRequest): Promise<Session | undefined> {
    const session = await browserSignIn(c, hosted);
    return session && !signInMismatch(deps, hosted, session) ? session : undefined;
  }

  /** Core §3.1.2.6: the request ends with an error sent to the client, and no page. */
  async function fail(c: Context<AppEnv>, hosted: HostedRequest, error: OAuthError): Promise<Response> {
    const url = await failHostedAuthorization(deps, hosted, error);
    return url ? c.redirect(url, 302) : c.redirect(`/oauth/authorize/${hosted.request.id}`, 303);
  }

  /** Core §3.1.2.1 `login_hint` pre-fills the email field when it is an email address. */
  const hintedEmail = (hosted: HostedRequest) => (hosted.request.loginHint && EMAIL.test(hosted.request.loginHint) ? hosted.request.loginHint : undefined);

  /** A page of this authorization session, under the CSP that names its redirect URI and logo. */
  function show(c: Context<AppEnv>, hosted: HostedRequest, body: SafeHtml, status: number): Response {
    return sendPage(c, body, status, hosted.request.redirectUri, brandingOf(hosted).logoUrl);
  }

  /** Signed in: ask for consent, or finish and send the browser back to the client. */
  async function proceed(c: Context<AppEnv>, hosted: HostedRequest, user: Session, status = 302): Promise<Response> {
    if (await needsConsent(deps, hosted.application, user.consumerId, hosted.request)) {
      // Core §3.1.2.1: with `prompt=none`, consent that would need a page is `consent_required`.
      if (isPromptNone(hosted)) return fail(c, hosted, new ConsentRequired('the user has not consented to this application and prompt=none forbids asking'));
      const consumer = await findHostedUser(deps, hosted, user.consumerId);
      // Claims asked for through `claims` (Core §5.5) are shown like the scopes that would grant them.
      const page = consentPage(context(c, hosted), {
        scope: consentScope(hosted.request.scope, hosted.request.claims),
        userLabel: consumer?.email ?? consumer?.phone ?? 'your account',
        unverified: unverifiedClientOf(hosted.application, hosted.request.redirectUri),
      });
      return show(c, hosted, page, 200);
    }
    const url = await finishHostedAuthorization(deps, hosted, user, 'approve');
    if (!url) return c.redirect(`/oauth/authorize/${hosted.request.id}`, 303);
    return c.redirect(url, status as 302);
  }

  async function signedIn(c: Context<AppEnv>, hosted: HostedRequest, loginToken: string): Promise<Response> {
    const settings = await settingsOf(deps, hosted.application);
    writeSessionCookie(c, deps.issuer, loginToken, settings.loginTokenTtlSeconds);
    // Post/redirect/get: the page decides between consent and the way back.
    return c.redirect(`/oauth/authorize/${hosted.request.id}`, 303);
  }

  /** A POST of one of the forms: parsed, CSRF and origin checked. */
  async function form(c: Context<AppEnv>, hosted: HostedRequest): Promise<Form> {
    const values: Form = await readHostedForm(c);
    verifyFormOrigin(c, deps, hosted.request.id, values.csrf);
    return values;
  }

  /** Any refusal becomes a page; anything unexpected a page with only the request id (SPEC §3). */
  const page = (handler: (c: Context<AppEnv>, hosted: HostedRequest) => Promise<Response>): Handler<AppEnv> => async (c) => {
    let hosted: HostedRequest | Response | undefined;
    try {
      hosted = await load(c);
      if (hosted instanceof Response) return hosted;
      return await handler(c, hosted);
    } catch (error) {
      const branding = hosted && !(hosted instanceof Response) ? brandingOf(hosted) : undefined;
      if (error instanceof ApiError && hosted && !(hosted instanceof Response)) {
        return sendPage(c, messagePage({ title: 'That did not work', message: error.message, branding, link: { href: `/oauth/authorize/${hosted.request.id}`, label: 'Start over' } }), error.status);
      }
      deps.logger.error({ requestId: c.get('requestId'), err: error }, 'hosted page failed');
      return sendPage(c, messagePage({ title: 'Something went wrong', message: 'Please try again in a moment.', requestId: c.get('requestId') }), 500);
    }
  };

  const secondFactorPage = (c: Context<AppEnv>, hosted: HostedRequest, pending: string, factors: ReadonlyArray<'totp' | 'sms'>, sentTo: string, error?: string) =>
    secondFactorForm(context(c, hosted), { action: `/oauth/authorize/${hosted.request.id}/second-factor`, pending, factors, sentTo, error });

  /**
   * The user passed the first factor (`via`) and has a second factor (SPEC §12): ask for it — the
   * authenticator app's code (or a recovery code) and/or the SMS code, which is sent now.
   */
  async function askSecondFactor(c: Context<AppEnv>, hosted: HostedRequest, consumer: Consumer, via: HostedFirstFactor): Promise<Response> {
    const factors = hostedSecondFactors(consumer, via);
    if (factors.includes('sms')) await sendLoginOtp(deps, hosted.application, consumer.id);
    const pending = await signSecondFactorPending(deps, hosted.application, consumer, hosted.request.id, via);
    return show(c, hosted, secondFactorPage(c, hosted, pending, factors, consumer.phone ? maskDestination(consumer.phone) : 'your phone'), 200);
  }

  const emailCodePage = (c: Context<AppEnv>, hosted: HostedRequest, email: string, error?: string) =>
    codePage(context(c, hosted), { title: 'Check your email', action: `/oauth/authorize/${hosted.request.id}/email-code/verify`, sentTo: email, hidden: { email }, error });

  return {
    /** GET /oauth/authorize/:id — login, or consent, or straight back to the client. */
    show: page(async (c, hosted) => {
      const signIn = await browserSignIn(c, hosted);
      const mismatch = signIn ? signInMismatch(deps, hosted, signIn) : 'the user is not signed in';
      if (mismatch === undefined) return proceed(c, hosted, signIn!);
      // Core §3.1.2.1 `prompt=none`: no page — not signed in, or not usably (`max_age`, another
      // person than `id_token_hint` names), is `login_required`.
      if (isPromptNone(hosted)) return fail(c, hosted, new LoginRequired(mismatch));
      // A sign-in made for this very request that is still refused names another person than
      // `id_token_hint`: Core §3.1.2.1 says to answer with an error rather than ask again.
      if (signIn && signIn.createdAt >= hosted.request.createdAt) return fail(c, hosted, new LoginRequired(mismatch));
      return show(c, hosted, loginPage(context(c, hosted), { email: hintedEmail(hosted) }), 200);
    }),

    /** POST …/login — email and password, with the API's lockout and limits. */
    login: page(async (c, hosted) => {
      const values = await form(c, hosted);
      const email = values.email ?? '';
      const again = (status: number, error: string) => show(c, hosted, loginPage(context(c, hosted), { email, error }), status);
      if (!EMAIL.test(email)) return again(400, 'Enter a valid email address.');
      // Not `required` in the form, whose email-code button shares it: asked for here (issue 11.16).
      if (!values.password || values.password.length > 1024) return again(400, 'Enter your password, or get a sign-in code by email.');
      try {
        await deps.rateLimits.consume('loginPerIp', clientIp(c, options.trustedProxyHops));
        const result = await loginWithPassword(deps, hosted.application, { email, password: values.password });
        if (result.accessToken) return signedIn(c, hosted, result.accessToken);
        return askSecondFactor(c, hosted, (await findHostedUser(deps, hosted, result.userId))!, 'password');
      } catch (error) {
        if (error instanceof InvalidCredentials) return again(401, 'Wrong email or password.');
        if (error instanceof RateLimited) return again(429, 'Too many attempts. Wait a while before trying again.');
        throw error;
      }
    }),

    /** POST …/second-factor — the SMS code, the authenticator app's code or a recovery code, after the first factor (SPEC §12). */
    secondFactor: page(async (c, hosted) => {
      const values = await form(c, hosted);
      const pending = await readSecondFactorPending(deps, hosted.application, values.pending ?? '', hosted.request.id);
      const expired = (message: string) => show(c, hosted, loginPage(context(c, hosted), { error: message }), 401);
      if (!pending) return expired('That sign-in has expired. Sign in again.');
      let factors: ReadonlyArray<'totp' | 'sms'>;
      try {
        ({ factors } = await pendingSecondFactors(deps, hosted.application, pending));
      } catch (error) {
        if (error instanceof OtpExpired) return expired('That sign-in has expired. Sign in again.');
        throw error;
      }
      const again = (status: number, error: string) => show(c, hosted, secondFactorPage(c, hosted, values.pending!, factors, pending.hint, error), status);
      const filled = (name: string) => (values[name] ?? '').trim();
      const [totpCode, recoveryCode, code] = [filled('totpCode'), filled('recoveryCode'), filled('code')];
      const isRecovery = !totpCode && recoveryCode !== '';
      const answer: { code: string } | { totpCode: string } | { recoveryCode: string } = totpCode ? { totpCode } : isRecovery ? { recoveryCode } : { code };
      const isWellFormed = isRecovery ? /^[A-Za-z0-9 -]{10,32}$/.test(recoveryCode) : /^\d{6}$/.test(totpCode || code);
      if (!isWellFormed) return again(400, isRecovery ? 'Enter a recovery code.' : 'Enter the 6-digit code.');
      try {
        // Per IP as the API's /auth/second-factor/verify: recovery codes are not counted per person.
        await deps.rateLimits.consume('loginPerIp', clientIp(c, options.trustedProxyHops));
        return await signedIn(c, hosted, await completeSecondFactor(deps, hosted.application, pending, answer));
      } catch (error) {
        if (error instanceof OtpInvalid || error instanceof TotpInvalid || error instanceof RecoveryCodeInvalid) return again(401, 'That code is not right.');
        if (error instanceof RateLimited) return again(429, 'Too many attempts. Wait a while before trying again.');
        if (error instanceof BadRequest) return again(400, 'Enter one of the codes asked for here.');
        if (error instanceof OtpExpired) return expired('That code has expired. Sign in again.');
        throw error;
      }
    }),

    /** POST …/email-code — sends a sign-in code to the address (the same page whether it is known or not). */
    emailCode: page(async (c, hosted) => {
      const values = await form(c, hosted);
      const email = normalizeEmail(values.email ?? '');
      if (!EMAIL.test(email)) return show(c, hosted, loginPage(context(c, hosted), { email: values.email ?? '', error: 'Enter a valid email address.' }), 400);
      try {
        await deps.rateLimits.consume('otpRequestPerIp', clientIp(c, options.trustedProxyHops));
        await requestOtp(deps, hosted.application, { channel: 'email', destination: email });
      } catch (error) {
        // Inside the resend cooldown the code sent before still works: show the same page.
        if (error instanceof DeliveryFailed) return show(c, hosted, loginPage(context(c, hosted), { email, error: 'The code could not be sent. Try again.' }), 502);
        if (!(error instanceof RateLimited)) throw error;
      }
      return show(c, hosted, emailCodePage(c, hosted, email), 200);
    }),

    /** POST …/email-code/verify — the emailed code signs the address's account in. */
    emailCodeVerify: page(async (c, hosted) => {
      const values = await form(c, hosted);
      const email = normalizeEmail(values.email ?? '');
      if (!EMAIL.test(email) || !/^\d{6}$/.test(values.code ?? '')) return show(c, hosted, emailCodePage(c, hosted, email, 'Enter the 6-digit code.'), 400);
      try {
        await deps.rateLimits.consume('otpVerifyPerDestination', destinationBudgetKey(hosted.application, email));
        const outcome = await loginWithEmailCode(deps, hosted.application, email, values.code!);
        if ('secondFactorFor' in outcome) return await askSecondFactor(c, hosted, outcome.secondFactorFor, 'email');
        return await signedIn(c, hosted, outcome.loginToken);
      } catch (error) {
        if (error instanceof OtpInvalid) return show(c, hosted, emailCodePage(c, hosted, email, 'That code is not right.'), 401);
        if (error instanceof OtpExpired) return show(c, hosted, loginPage(context(c, hosted), { email, error: 'That code has expired. Ask for a new one.' }), 401);
        if (error instanceof RateLimited) return show(c, hosted, emailCodePage(c, hosted, email, 'Too many attempts. Wait a while before trying again.'), 429);
        throw error;
      }
    }),

    /**
     * POST …/passkey/options — the options of a passkey sign-in (SPEC §12), as JSON for the page's
     * script: CSRF-checked like the forms (the token rides in a form body), one point of the per-IP
     * sign-in limit (each writes a challenge), never cached.
     */
    passkeyOptions: page(async (c, hosted) => {
      await form(c, hosted);
      await deps.rateLimits.consume('loginPerIp', clientIp(c, options.trustedProxyHops));
      c.header('Cache-Control', 'no-store');
      return c.json(await passkeySignInOptions(deps, hosted.application));
    }),

    /**
     * POST …/passkey — the credential of `navigator.credentials.get()` (its JSON in the `credential`
     * field of the login form): signed in, or — no user verification and a second factor set (SPEC
     * §12) — the second-factor page, as after a password.
     */
    passkey: page(async (c, hosted) => {
      const values = await form(c, hosted);
      const again = (status: number, error: string) => show(c, hosted, loginPage(context(c, hosted), { email: hintedEmail(hosted), error }), status);
      const credential = readJsonField(values.credential, AuthenticationCredential);
      if (!credential) return again(400, 'The passkey answer could not be read. Try again, or sign in another way.');
      try {
        await deps.rateLimits.consume('loginPerIp', clientIp(c, options.trustedProxyHops));
        const outcome = await loginWithPasskeyHosted(deps, hosted.application, credential);
        if ('secondFactorFor' in outcome) return await askSecondFactor(c, hosted, outcome.secondFactorFor, 'passkey');
        return await signedIn(c, hosted, outcome.loginToken);
      } catch (error) {
        if (error instanceof PasskeyInvalid) return again(401, 'That passkey was not accepted. Try again, or sign in another way.');
        if (error instanceof PasskeyChallengeInvalid) return again(400, 'That passkey sign-in took too long or was already used. Try again.');
        if (error instanceof RateLimited) return again(429, 'Too many attempts. Wait a while before trying again.');
        throw error;
      }
    }),

    /** POST …/consent — approve or deny (deny → `error=access_denied&state=…`). */
    consent: page(async (c, hosted) => {
      const values = await form(c, hosted);
      const user = await currentUser(c, hosted);
      if (!user) return show(c, hosted, loginPage(context(c, hosted), { error: 'Your sign-in has ended. Sign in again.' }), 401);
      const decision = values.decision === 'approve' ? 'approve' : 'deny';
      const url = await finishHostedAuthorization(deps, hosted, user, decision);
      return url ? c.redirect(url, 303) : c.redirect(`/oauth/authorize/${hosted.request.id}`, 303);
    }),
  };
}
