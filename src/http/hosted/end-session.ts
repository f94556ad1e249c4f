import type { Context, Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import {
  decideEndSession, describeSignIn, endBrowserSession, endHintedFamilies, findBrowserSignIn, postLogoutRedirect, validateEndSessionRequest, type EndSessionRequest,
} from '../../flows/oauth/end-session.js';
import { ApiError } from '../../protocol/errors.js';
import { InvalidRequest } from '../../protocol/oauth-errors.js';
import { singleValuedParams } from '../../protocol/oauth-params.js';
import { DEFAULT_ACCENT, type Branding } from '../../ui/branding.js';
import { confirmLogoutPage, signedOutPage, stillSignedInPage, type LogoutPageContext } from '../../ui/pages/logout.js';
import { messagePage } from '../../ui/pages/message.js';
import type { AppEnv } from '../env.js';
import { clearSessionCookie, csrfTokenFor, readSessionCookie, verifyFormOrigin } from './browser-state.js';
import { sendPage } from './render.js';

/** The end_session_endpoint (OpenID Connect Discovery §3; RP-Initiated Logout 1.0 §2). */
export const END_SESSION_PATH = '/v1/auth/oauth/end-session';
const CONFIRM_PATH = `${END_SESSION_PATH}/confirm`;
/** The confirmation form's CSRF token is bound to this browser and this purpose (RFC 9700 §4.7). */
const CSRF_PURPOSE = 'end-session';

/** The look of the pages: the client's, else the organization's, else Latchkey's. */
function pageContext(application: EndSessionRequest['application'], organization: EndSessionRequest['organization']): LogoutPageContext {
  const branding: Branding = {
    appName: application?.name ?? organization?.branding.displayName ?? 'Latchkey',
    logoUrl: application?.logoUrl ?? organization?.branding.logoUrl ?? null,
    accentColor: application?.accentColor ?? organization?.branding.accentColor ?? DEFAULT_ACCENT,
    organizationDisplayName: organization?.branding.displayName ?? null,
  };
  return { branding, themeHref: application ? `/assets/theme/${application.id}.css` : '/assets/theme/default.css' };
}

/**
 * RP-Initiated Logout 1.0 §2: a POST carries the parameters as a form body. Read by the rules of every
 * OAuth parameter (RFC 6749 §3.1: no repeats, text rules of issue 11.3); the query is not read.
 */
async function readFormParams(c: Context): Promise<Record<string, string>> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new InvalidRequest('the body must be application/x-www-form-urlencoded');
  return singleValuedParams(new URLSearchParams(await c.req.text()));
}

/**
 * GET and POST of the end_session_endpoint and the POST of its confirmation form (SPEC §9). Every
 * answer is a page (with the hosted pages' CSP, no-store) or a redirect to a registered
 * post-logout redirect URI; a refusal is never redirected.
 */
export function endSessionHandlers(deps: FlowDeps) {
  /** Any refusal becomes a page; anything unexpected a page with only the request id (SPEC §3). */
  const page = (handler: (c: Context<AppEnv>) => Promise<Response>): Handler<AppEnv> => async (c) => {
    try {
      return await handler(c);
    } catch (error) {
      if (error instanceof ApiError) {
        const title = error.status === 403 ? 'That did not work' : 'Sign-out request not valid';
        return sendPage(c, messagePage({ title, message: error.message }), error.status);
      }
      deps.logger.error({ requestId: c.get('requestId'), err: error }, 'end-session page failed');
      return sendPage(c, messagePage({ title: 'Something went wrong', message: 'Please try again in a moment.', requestId: c.get('requestId') }), 500);
    }
  };

  /** The browser's sign-in; a cookie whose sign-in has ended is cleared on the way. */
  async function signInOf(c: Context<AppEnv>) {
    const token = readSessionCookie(c, deps.issuer);
    const signIn = await findBrowserSignIn(deps, token);
    if (token && !signIn) clearSessionCookie(c, deps.issuer);
    return signIn;
  }

  /** Back to the client's registered URI with `state`, or the "signed out" page (nothing to go back to). */
  function finish(c: Context<AppEnv>, request: EndSessionRequest, status: 302 | 303, shown = signedOutPage): Response {
    const back = postLogoutRedirect(request);
    if (back) return c.redirect(back, status);
    return sendPage(c, shown(pageContext(request.application, request.organization)), 200, undefined, request.application?.logoUrl);
  }

  /** A request of the client (GET query or POST form). */
  async function begin(c: Context<AppEnv>, params: Record<string, string>, status: 302 | 303): Promise<Response> {
    const request = await validateEndSessionRequest(deps, params);
    const signIn = await signInOf(c);
    const decision = await decideEndSession(deps, request, signIn);
    await endHintedFamilies(deps, request, signIn);
    if (decision === 'end') {
      await endBrowserSession(deps, request, signIn!, 'id_token_hint');
      clearSessionCookie(c, deps.issuer);
    }
    if (decision !== 'confirm') return finish(c, request, status);
    const described = await describeSignIn(deps, signIn!);
    const ctx = pageContext(request.application, request.organization ?? described.organization);
    const form = confirmLogoutPage(ctx, {
      question: `Sign out of ${request.application?.name ?? described.organization?.branding.displayName ?? 'your account'}?`,
      userLabel: described.userLabel,
      action: CONFIRM_PATH,
      csrfToken: csrfTokenFor(c, deps, CSRF_PURPOSE),
      hidden: request.params,
    });
    // form-action names the post-logout redirect URI: the answer to the form may redirect there.
    return sendPage(c, form, 200, request.postLogoutRedirectUri, ctx.branding.logoUrl);
  }

  return {
    /** GET /v1/auth/oauth/end-session — parameters in the query. */
    get: page((c) => begin(c, singleValuedParams(new URL(c.req.url).searchParams), 302)),

    /** POST /v1/auth/oauth/end-session — parameters in a form body. */
    post: page(async (c) => begin(c, await readFormParams(c), 303)),

    /**
     * POST /v1/auth/oauth/end-session/confirm — the person's answer. CSRF and origin are checked first
     * (403, nothing ended); the request is validated again from the form. "Stay signed in" goes back
     * to the client like a sign-out would (the client asked to get its browser back, and has already
     * ended its own session), and ends nothing.
     */
    confirm: page(async (c) => {
      const { csrf, decision, ...params } = await readFormParams(c);
      verifyFormOrigin(c, deps, CSRF_PURPOSE, csrf);
      const request = await validateEndSessionRequest(deps, params);
      if (decision !== 'confirm') return finish(c, request, 303, stillSignedInPage);
      const signIn = await signInOf(c);
      if ((await decideEndSession(deps, request, signIn)) !== 'nothing') {
        await endBrowserSession(deps, request, signIn!, 'confirmation');
        clearSessionCookie(c, deps.issuer);
      }
      return finish(c, request, 303);
    }),
  };
}
