import type { Handler } from 'hono';
import type { AppEnv } from '../env.js';

/**
 * GET /oauth/authorize/:id — the hosted login page of an authorization session (SPEC §7). The
 * hosted pages are not built yet; until they are, this page says so plainly.
 */
export const hostedPlaceholder: Handler<AppEnv> = (c) => {
  c.header('Content-Security-Policy', "default-src 'none'; style-src 'none'; frame-ancestors 'none'");
  c.header('Cache-Control', 'no-store');
  return c.html(
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
      '<title>Sign-in page not available yet</title></head><body><main><h1>Sign-in page not available yet</h1>' +
      '<p>This server does not serve its hosted sign-in pages yet. Applications can complete the flow in API mode ' +
      '(<code>mode=api</code>), as the documentation describes.</p></main></body></html>',
    501,
  );
};
