import type { Handler } from 'hono';
import { findAccentColor } from '../../flows/branding.js';
import type { FlowDeps } from '../../flows/deps.js';
import { HOSTED_CSS, themeCss } from '../../ui/assets.js';
import { PASSKEY_JS } from '../../ui/passkey-script.js';
import { DEFAULT_ACCENT } from '../../ui/branding.js';
import type { AppEnv } from '../env.js';

/** GET /assets/hosted.css — the one stylesheet of the hosted pages (served here: no external assets). */
export const hostedCss: Handler<AppEnv> = (c) => {
  c.header('Content-Type', 'text/css; charset=utf-8');
  c.header('Cache-Control', 'public, max-age=3600');
  return c.body(HOSTED_CSS);
};

/** GET /assets/passkey.js — the passkey script of the login and account pages (same origin: `script-src 'self'`). */
export const passkeyScript: Handler<AppEnv> = (c) => {
  c.header('Content-Type', 'text/javascript; charset=utf-8');
  c.header('Cache-Control', 'public, max-age=3600');
  return c.body(PASSKEY_JS);
};

/** GET /assets/theme/:file — `<application id>.css`: the accent colour as a CSS variable (no inline styles). */
export const themeStylesheet = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const applicationId = (c.req.param('file') ?? '').replace(/\.css$/, '');
  const accent = (applicationId.startsWith('app_') ? await findAccentColor(deps, applicationId) : undefined) ?? DEFAULT_ACCENT;
  c.header('Content-Type', 'text/css; charset=utf-8');
  c.header('Cache-Control', 'public, max-age=300');
  // The colour was validated as #rrggbb when stored; checked again so nothing else reaches CSS.
  return c.body(themeCss(/^#[0-9a-fA-F]{6}$/.test(accent) ? accent : DEFAULT_ACCENT));
};
