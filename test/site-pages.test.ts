import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization } from '../src/flows/bootstrap.js';
import { setOrganizationBranding } from '../src/flows/branding.js';
import { apiDocsPage, type OpenApiDocument } from '../src/ui/pages/api-docs.js';
import { createOAuthApp } from './helpers/oauth.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;
const STRICT_CSP = "default-src 'none'; style-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/** Text as a reader sees it: tags dropped, entities of the html helper decoded, spaces collapsed. */
const textOf = (page: string) => page.replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#96;/g, '`')
  .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ');
/** A description of the document as the page shows it: `code` spans become code elements, spaces collapse. */
const shown = (description: string) => description.replace(/`/g, '').replace(/\s+/g, ' ');

/** Each operation's section of /docs, by the operation id its heading carries. */
function operationSections(page: string): Map<string, string> {
  const sections = new Map<string, string>();
  for (const section of page.split('<section class="operation">').slice(1)) {
    const id = /<h3 id="op-([^"]+)"/.exec(section)?.[1];
    if (id) sections.set(id, section.split('</section>')[0]!);
  }
  return sections;
}

describe('SPEC §10: GET / and GET /docs on the public listener', () => {
  let server: TestServer;
  let document: any;
  let landing: Response;
  let docs: Response;
  let landingHtml: string;
  let docsHtml: string;

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    // A second organization with a display name and an application: neither may show on the pages.
    const { deps } = server.server.runtime;
    const organization = await createOrganization(deps, 'northwind-slug');
    await setOrganizationBranding(deps, organization.id, { displayName: 'Northwind Traders', logoUrl: null, accentColor: null });
    await createOAuthApp(server, { organizationId: organization.id, redirectUris: ['http://127.0.0.1/callback'] });
    document = await (await server.request('/openapi.json')).json();
    landing = await server.request('/');
    landingHtml = await landing.text();
    docs = await server.request('/docs');
    docsHtml = await docs.text();
  });
  afterAll(() => server?.close());

  it('both answer 200 HTML with the strict policy (no script at all), the hosted pages\' security headers and a short public cache', () => {
    for (const [name, response] of [['/', landing], ['/docs', docs]] as const) {
      expect(response.status, name).toBe(200);
      expect(response.headers.get('content-type'), name).toBe('text/html; charset=UTF-8');
      const csp = response.headers.get('content-security-policy')!;
      expect(csp, name).toBe(STRICT_CSP);
      // default-src 'none' with no script-src: no script runs, inline or not; no inline style either.
      expect(csp, name).not.toMatch(/script-src|unsafe-inline|unsafe-eval|\*/);
      expect(response.headers.get('x-content-type-options'), name).toBe('nosniff');
      expect(response.headers.get('x-frame-options'), name).toBe('DENY');
      expect(response.headers.get('referrer-policy'), name).toBe('no-referrer');
      expect(response.headers.get('cache-control'), name).toBe('public, max-age=300');
    }
  });

  it('the pages hold no script, no inline style and nothing loaded from another origin', () => {
    for (const page of [landingHtml, docsHtml]) {
      expect(page).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
      expect([...page.matchAll(/(?:href|src)="([^"#][^"]*)"/g)].map((m) => m[1]).filter((url) => !url!.startsWith('/'))).toEqual([]);
    }
  });

  it('the route table knows both: the OpenAPI document lists them with text/html answers, and other methods get 405', async () => {
    for (const path of ['/', '/docs']) {
      expect(document.paths[path].get.responses['200'].content, path).toEqual({ 'text/html': { schema: { type: 'string' } } });
      const post = await server.request(path, { method: 'POST' });
      expect(post.status, path).toBe(405);
      expect(post.headers.get('allow'), path).toBe('GET');
    }
  });

  it('/ names the product and the version of package.json, and links the docs, discovery, JWKS and OpenAPI — each link answers 200', async () => {
    const text = textOf(landingHtml);
    expect(landingHtml).toContain('<h1>Latchkey</h1>');
    expect(text).toContain(`Version ${VERSION}`);
    const links = [...landingHtml.matchAll(/<main[\s\S]*?<\/main>/g)][0]![0].match(/href="[^"]+"/g)!.map((h) => h.slice(6, -1));
    expect(links).toEqual(['/docs', '/openapi.json', '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/.well-known/jwks.json', '/account']);
    // Every link works; the account page says "You are not signed in" (401) to a visitor without a sign-in.
    for (const link of links) expect((await server.request(link)).status, link).toBe(link === '/account' ? 401 : 200);
    expect(document.info.version).toBe(VERSION);
  });

  it('/docs shows every operation of /openapi.json: a contents link, its method and path, summary, credential, parameters, body fields and response statuses', () => {
    const sections = operationSections(docsHtml);
    const expected: string[] = [];
    for (const [path, methods] of Object.entries<Record<string, any>>(document.paths)) {
      for (const [method, operation] of Object.entries<any>(methods)) {
        const id = operation.operationId as string;
        expected.push(id);
        const where = `${method.toUpperCase()} ${path} (${id})`;
        expect(docsHtml, where).toContain(`<li><a href="#op-${id}">${method.toUpperCase()} ${path}</a></li>`);
        const section = sections.get(id);
        expect(section, where).toBeDefined();
        const text = textOf(section!);
        expect(text, where).toContain(`${method.toUpperCase()} ${path}`);
        expect(text, where).toContain(shown(operation.summary));
        const credential = Object.keys(operation.security?.[0] ?? {})[0];
        expect(text, where).toContain(`Credential: ${credential ?? 'none'}`);
        for (const parameter of operation.parameters ?? []) expect(section, `${where} parameter ${parameter.name}`).toContain(`<code class="field-name">${parameter.name}</code> <span class="location">in ${parameter.in}</span>`);
        for (const [type, media] of Object.entries<any>(operation.requestBody?.content ?? {})) {
          expect(section, `${where} body ${type}`).toContain(`<code>${type}</code>`);
          for (const field of Object.keys(media.schema.properties ?? {})) expect(section, `${where} body field ${field}`).toContain(`<code class="field-name">${field}</code>`);
        }
        for (const [status, response] of Object.entries<any>(operation.responses)) {
          expect(section, `${where} ${status}`).toContain(`<dt><span class="status">${status}</span></dt>`);
          expect(text, `${where} ${status}`).toContain(shown(response.description));
        }
      }
    }
    // Nothing more, nothing less, and each tag is a heading and a contents entry.
    expect([...sections.keys()].sort()).toEqual(expected.sort());
    const tags = new Set(Object.values<Record<string, any>>(document.paths).flatMap((methods) => Object.values<any>(methods).map((o) => o.tags[0] as string)));
    expect(tags.size).toBeGreaterThan(1);
    for (const tag of tags) {
      expect(docsHtml, tag).toMatch(new RegExp(`<h2 id="tag-[a-z-]+">${tag}</h2>`));
      expect(docsHtml, tag).toMatch(new RegExp(`<li><a href="#tag-[a-z-]+">${tag}</a>`));
    }
    for (const name of Object.keys(document.components.securitySchemes)) expect(docsHtml, name).toContain(`<dt id="credential-${name}"><code>${name}</code></dt>`);
  });

  it('neither page names an organization, an application or a key: no slug, display name, id, pk_/sk_/lka_ value', () => {
    const { demo } = server.server;
    for (const [name, page] of [['/', landingHtml], ['/docs', docsHtml]] as const) {
      // The organization every database has is called `default` (SPEC §1): its slug never shows.
      expect(page, name).not.toMatch(/\bdefault\b/i);
      for (const secret of [demo!.application.organizationId, demo!.application.id, demo!.application.publishableKey, demo!.secretKey, 'northwind', 'Northwind Traders']) {
        expect(page.toLowerCase(), `${name}: ${secret}`).not.toContain(secret.toLowerCase());
      }
      expect(page, name).not.toMatch(/\b(pk|sk)_(test|live)_[A-Za-z0-9_-]{8,}|\blka_[A-Za-z0-9_-]{8,}|\borg_[A-Za-z0-9]|\bapp_[A-Za-z0-9]/);
    }
  });

  it('the public pages do not document the admin listener\'s routes', () => {
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/admin') || path === '/metrics')).toEqual([]);
    expect(docsHtml).not.toMatch(/\/admin\/v1|\/metrics/);
  });

  it('SPEC §10: the pages are the public listener\'s; the admin listener answers 404', async () => {
    for (const path of ['/', '/docs']) expect((await fetch(`${server.adminUrl}${path}`)).status, path).toBe(404);
  });
});

describe('the docs renderer', () => {
  const document: OpenApiDocument = {
    info: { title: 'T', version: '1' },
    paths: {
      '/x/{id}': {
        post: {
          operationId: 'postX', summary: 'Does `x` <script>alert(1)</script>', tags: ['A & B'],
          parameters: [{ name: 'id"><b>', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { '<i>': { const: '</code>' } } } } } },
          responses: { 200: { description: '"quoted" & <b>bold</b>' } },
        },
      },
    },
  };

  it('escapes every value of the document: names, summaries, descriptions, constants and tags', () => {
    const page = apiDocsPage(document).value;
    expect(page).not.toMatch(/<script|<b>|<i>|"><b>/);
    expect(page).toContain('Does <code>x</code> &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('id&quot;&gt;&lt;b&gt;');
    expect(page).toContain('&quot;&lt;/code&gt;&quot;');
    expect(page).toContain('&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;');
    expect(page).toContain('<h2 id="tag-a-b">A &amp; B</h2>');
  });
});
