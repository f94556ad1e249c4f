import type { Context, Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { RedirectableError, initiateAuthorization } from '../../flows/oauth/initiate.js';
import { singleValuedParams } from '../../protocol/oauth-params.js';
import { withQuery } from '../../protocol/redirect-uri.js';
import type { AppEnv } from '../env.js';

const wantsJson = (c: Context, params: Record<string, string>) => params.mode === 'api' || (c.req.header('accept') ?? '').includes('application/json');

/**
 * GET /v1/auth/oauth/authorize/initiate — SPEC §6.1 step 1. `mode=api` (or `Accept: application/json`)
 * answers `{ token, url }`; otherwise 302 to the hosted page. Errors before the client and redirect
 * URI are verified are 400 JSON; later ones go back to the redirect URI in hosted mode
 * (RFC 6749 §4.1.2.1, with `iss` per RFC 9207).
 */
export const oauthInitiate = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const params = singleValuedParams(new URL(c.req.url).searchParams);
  try {
    const initiated = await initiateAuthorization(deps, params, c.req.header('x-client-key'));
    c.set('application', initiated.application);
    if (wantsJson(c, params)) return c.json({ token: initiated.token, url: initiated.url });
    return c.redirect(initiated.url, 302);
  } catch (error) {
    if (!(error instanceof RedirectableError)) throw error;
    if (wantsJson(c, params)) throw error.error;
    const location = withQuery(error.redirectUri, {
      error: error.error.code,
      error_description: error.error.message,
      state: error.state,
      iss: deps.issuer,
    });
    return c.redirect(location, 302);
  }
};

