import type { Context, Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { RedirectableError, initiateAuthorization } from '../../flows/oauth/initiate.js';
import { InvalidRequest } from '../../protocol/oauth-errors.js';
import { paramsWithResources } from '../../protocol/oauth-params.js';
import { withQuery } from '../../protocol/redirect-uri.js';
import type { AppEnv } from '../env.js';

const wantsJson = (c: Context, params: Record<string, string>) => params.mode === 'api' || (c.req.header('accept') ?? '').includes('application/json');

/**
 * The parameters of an authorization request: the query of a GET, or — OpenID Connect Core
 * §3.1.2.1 — the `application/x-www-form-urlencoded` body of a POST (Form Serialization). A POST
 * carries them in its body only, so one request never holds two sets of parameters.
 */
async function readInitiateParams(c: Context): Promise<{ params: Record<string, string>; resources: string[] }> {
  const url = new URL(c.req.url);
  // RFC 8707 §2: `resource` may repeat; every other parameter once (RFC 6749 §3.1).
  if (c.req.method !== 'POST') return paramsWithResources(url.searchParams);
  if (url.search.length > 1) throw new InvalidRequest('a POST authorization request carries its parameters in the body, not the query string');
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new InvalidRequest('the body must be application/x-www-form-urlencoded');
  return paramsWithResources(new URLSearchParams(await c.req.text()));
}

/**
 * GET and POST /v1/auth/oauth/authorize/initiate — SPEC §6.1 step 1. `mode=api` (or `Accept:
 * application/json`) answers `{ token, url }`; otherwise a redirect to the hosted page. Errors before
 * the client and redirect URI are verified are 400 JSON; later ones go back to the redirect URI in
 * hosted mode (RFC 6749 §4.1.2.1, with `iss` per RFC 9207). After a POST the redirect is 303, which
 * tells the browser to follow it with a GET (RFC 9110 §15.4.4); after a GET it stays 302.
 */
export const oauthInitiate = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const { params, resources } = await readInitiateParams(c);
  const redirectStatus = c.req.method === 'POST' ? 303 : 302;
  try {
    const initiated = await initiateAuthorization(deps, params, c.req.header('x-client-key'), resources);
    c.set('application', initiated.application);
    if (initiated.isApiMode || wantsJson(c, params)) return c.json({ token: initiated.token, url: initiated.url });
    return c.redirect(initiated.url, redirectStatus);
  } catch (error) {
    if (!(error instanceof RedirectableError)) throw error;
    if (error.isApiMode || wantsJson(c, params)) throw error.error;
    const location = withQuery(error.redirectUri, {
      error: error.error.code,
      error_description: error.error.message,
      state: error.state,
      iss: deps.issuer,
    });
    return c.redirect(location, redirectStatus);
  }
};
