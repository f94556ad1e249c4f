import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from '../observability/logger.js';
import { ApiError, PayloadTooLarge } from '../protocol/errors.js';
import type { AppEnv } from './env.js';
import { hostedErrorPage, isHostedPagePath } from './hosted/error-page.js';

/**
 * The one place errors become responses (STYLE §6). ApiErrors carry their status and public body;
 * anything else is logged with the request id and answered with a body that reveals nothing. On the
 * hosted pages both are HTML pages.
 */
export function errorResponse(error: unknown, c: Context<AppEnv>, logger: Logger): Response {
  const requestId = c.get('requestId');
  const known = error instanceof HTTPException && error.status === 413 ? new PayloadTooLarge('the request body is too large') : error;
  if (known instanceof ApiError) {
    if (known.cause !== undefined || known.status >= 500) {
      logger.info({ requestId, error: known.code, cause: describeCause(known.cause) }, 'request refused');
    }
    for (const [name, value] of Object.entries(known.headers)) c.header(name, value);
    // SPEC §7: a person's browser gets pages, even for a 413 or a 404 met before the handler.
    if (isHostedPagePath(c.req.path)) return hostedErrorPage(c, known, requestId);
    return c.json(known.toBody(), known.status as 400);
  }
  logger.error({ requestId, err: error }, 'unhandled error');
  if (isHostedPagePath(c.req.path)) return hostedErrorPage(c, undefined, requestId);
  return c.json({ error: 'internal_error', requestId }, 500);
}

function describeCause(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  // Only the class and message: jose errors name the failed check, never the token itself.
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}
