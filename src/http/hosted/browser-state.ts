import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { constantTimeEqual, hmacSha256 } from '../../crypto/hash.js';
import type { FlowDeps } from '../../flows/deps.js';
import { Forbidden } from '../../protocol/errors.js';

/**
 * Cookies of the hosted pages (SPEC §7): HttpOnly, SameSite=Lax, and Secure with a `__Host-` name
 * whenever the issuer is https. Only an http issuer (loopback development) drops Secure — cookies
 * could not be set over http otherwise.
 */
export function cookieNames(issuer: string) {
  // Secure whenever the issuer is https; an http issuer is loopback development (or the explicitly
  // insecure LATCHKEY_INSECURE_HTTP_ISSUER), where a Secure cookie would never be stored.
  const isSecure = issuer.startsWith('https://');
  const prefix = isSecure ? '__Host-' : '';
  return { isSecure, session: `${prefix}latchkey_session`, csrf: `${prefix}latchkey_csrf` };
}

function cookieOptions(isSecure: boolean, maxAgeSeconds: number) {
  return { path: '/', httpOnly: true, sameSite: 'Lax' as const, secure: isSecure, maxAge: maxAgeSeconds };
}

/** The login token the browser holds after signing in on a hosted page. */
export function readSessionCookie(c: Context, issuer: string): string | undefined {
  return getCookie(c, cookieNames(issuer).session);
}

export function writeSessionCookie(c: Context, issuer: string, loginToken: string, maxAgeSeconds: number): void {
  const names = cookieNames(issuer);
  setCookie(c, names.session, loginToken, cookieOptions(names.isSecure, maxAgeSeconds));
}

export function clearSessionCookie(c: Context, issuer: string): void {
  const names = cookieNames(issuer);
  deleteCookie(c, names.session, { path: '/', secure: names.isSecure });
}

/**
 * The CSRF token of a page: HMAC of the browser's random CSRF cookie and the authorization request,
 * so a token works only in that browser and for that request (RFC 9700 §4.7). Sets the cookie on
 * first sight.
 */
export function csrfTokenFor(c: Context, deps: FlowDeps, requestId: string): string {
  const names = cookieNames(deps.issuer);
  let secret = getCookie(c, names.csrf);
  if (!secret || !/^[\w-]{43}$/.test(secret)) {
    secret = randomBytes(32).toString('base64url');
    setCookie(c, names.csrf, secret, cookieOptions(names.isSecure, 12 * 3600));
  }
  return hmacSha256(deps.serverKeys.csrfKey, `${secret}:${requestId}`);
}

/**
 * Every hosted form POST: the CSRF token must match this browser's cookie for this request, and a
 * browser that says where the form came from must say it came from here (`Origin`,
 * `Sec-Fetch-Site`). Refusals are 403 and change nothing.
 */
export function verifyFormOrigin(c: Context, deps: FlowDeps, requestId: string, token: string | undefined): void {
  // `Origin: null` is what a browser sends for a form under `Referrer-Policy: no-referrer` (our pages'
  // policy): it says nothing, so Sec-Fetch-Site and the token decide then.
  const origin = c.req.header('origin');
  if (origin && origin !== 'null' && origin !== new URL(deps.issuer).origin) throw new Forbidden('this form was sent from another site');
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') throw new Forbidden('this form was sent from another site');
  const secret = getCookie(c, cookieNames(deps.issuer).csrf);
  if (!secret || !token || !constantTimeEqual(token, hmacSha256(deps.serverKeys.csrfKey, `${secret}:${requestId}`))) {
    throw new Forbidden('the form has expired or was not sent from this page; reload the page and try again');
  }
}
