import type { Context } from 'hono';
import type { ApiError } from '../../protocol/errors.js';
import { messagePage } from '../../ui/pages/message.js';
import { sendPage } from './render.js';

/** Where the hosted pages live (SPEC §7): `/oauth/authorize/:id` and its forms. */
const HOSTED_PAGES = '/oauth/authorize/';
/** The end_session_endpoint and its confirmation form (SPEC §9): a browser navigates there too. */
const END_SESSION_PAGES = '/v1/auth/oauth/end-session';

/** The hosted account page and its forms (SPEC §12). */
const ACCOUNT_PAGES = '/account';

const isAccountPath = (path: string) => path === ACCOUNT_PAGES || path.startsWith(`${ACCOUNT_PAGES}/`);

/** Whether a request is for a hosted page, whose errors are HTML pages rather than JSON. */
export function isHostedPagePath(path: string): boolean {
  return path.startsWith(HOSTED_PAGES) || path === END_SESSION_PAGES || path.startsWith(`${END_SESSION_PAGES}/`) || isAccountPath(path);
}

/**
 * The page for an error a hosted route meets before its handler (body limit, path parameter,
 * unknown sub-path): what a person reading it can act on, never internals. `error` is undefined for
 * an unexpected failure, which shows only the request id (SPEC §3).
 */
export function hostedErrorPage(c: Context, error: ApiError | undefined, requestId: string): Response {
  if (!error) return sendPage(c, messagePage({ title: 'Something went wrong', message: 'Please try again in a moment.', requestId }), 500);
  if (error.status === 404 && isAccountPath(c.req.path)) {
    return sendPage(c, messagePage({ title: 'Page not found', message: 'There is no such page here.', link: { href: ACCOUNT_PAGES, label: 'Your account' } }), 404);
  }
  if (error.status === 404) {
    return sendPage(c, messagePage({ title: 'Sign-in link not valid', message: 'This sign-in link is not valid. Go back to the application and start again.' }), 404);
  }
  if (error.status === 413) {
    return sendPage(c, messagePage({ title: 'That was too much', message: 'The form sent more than this page accepts. Go back and try again.' }), 413);
  }
  return sendPage(c, messagePage({ title: 'That did not work', message: error.message }), error.status);
}
