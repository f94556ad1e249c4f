import type { Handler } from 'hono';
import { apiDocsPage, type OpenApiDocument } from '../../ui/pages/api-docs.js';
import type { AppEnv } from '../env.js';
import { sendSitePage } from './site-page.js';

/**
 * GET /docs — the public OpenAPI document (the one /openapi.json serves) as a page, rendered once on
 * first request: the route table does not change while the process runs.
 */
export const docsPage = (document: () => Record<string, unknown>): Handler<AppEnv> => {
  let page: ReturnType<typeof apiDocsPage> | undefined;
  // The document is built by src/http/openapi.ts, whose shape OpenApiDocument describes.
  return (c) => sendSitePage(c, (page ??= apiDocsPage(document() as unknown as OpenApiDocument)));
};
