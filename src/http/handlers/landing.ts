import type { Handler } from 'hono';
import { landingPage as renderLandingPage } from '../../ui/pages/landing.js';
import type { AppEnv } from '../env.js';
import { sendSitePage } from './site-page.js';

/** GET / — product name, version and links to the docs and discovery documents (SPEC §10). */
export const landingPage = (version: string): Handler<AppEnv> => {
  const page = renderLandingPage(version);
  return (c) => sendSitePage(c, page);
};
