import { html, type SafeHtml } from '../html.js';
import { siteLayout } from '../site-layout.js';
import { schemaView, type JsonSchema } from './json-schema-view.js';

/** The part of an OpenAPI 3.1 document (as src/http/openapi.ts builds it) that the page shows. */
export interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { securitySchemes?: Record<string, SecurityScheme> };
}

interface OpenApiOperation {
  operationId: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string; schema?: JsonSchema }>;
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: JsonSchema }> }>;
}

interface SecurityScheme {
  type: string;
  scheme?: string;
  bearerFormat?: string;
  in?: string;
  name?: string;
  description?: string;
}

interface Entry {
  method: string;
  path: string;
  operation: OpenApiOperation;
}

/** Anchor of a tag's section: `Hosted pages` → `tag-hosted-pages`. */
const tagAnchor = (tag: string) => `tag-${tag.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
const operationAnchor = (entry: Entry) => `op-${entry.operation.operationId}`;

/** Descriptions use `backticks` for literal values (as Markdown); everything else stays text. */
function prose(text: string): SafeHtml {
  return html`${text.split('`').map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : part))}`;
}

/** Operations grouped by their first tag, in the document's order. */
function byTag(document: OpenApiDocument): Map<string, Entry[]> {
  const groups = new Map<string, Entry[]>();
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const tag = operation.tags?.[0] ?? 'Other';
      groups.set(tag, [...(groups.get(tag) ?? []), { method: method.toUpperCase(), path, operation }]);
    }
  }
  return groups;
}

function methodBadge(method: string): SafeHtml {
  return html`<span class="method method-${method.toLowerCase()}">${method}</span>`;
}

function schemeKind(scheme: SecurityScheme): string {
  if (scheme.type === 'http') return `HTTP ${scheme.scheme === 'basic' ? 'Basic' : 'Bearer'}${scheme.bearerFormat ? ` (${scheme.bearerFormat})` : ''}`;
  if (scheme.type === 'apiKey') return `API key in the ${scheme.in} ${scheme.in === 'header' ? `${scheme.name}` : `parameter ${scheme.name}`}`;
  return scheme.type;
}

function credentialOf(operation: OpenApiOperation): SafeHtml {
  const names = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
  if (names.length === 0) return html`<p><strong>Credential:</strong> none</p>`;
  return html`<p><strong>Credential:</strong> ${names.map((name, i) => html`${i > 0 ? ' or ' : ''}<a href="#credential-${name}">${name}</a>`)}</p>`;
}

function parametersOf(operation: OpenApiOperation): SafeHtml {
  const parameters = operation.parameters ?? [];
  if (parameters.length === 0) return html``;
  return html`<h4>Parameters</h4>
<ul class="fields">
${parameters.map((p) => html`<li><code class="field-name">${p.name}</code> <span class="location">in ${p.in}</span> ${
    p.required ? html`<span class="required">required</span>` : html`<span class="optional">optional</span>`}${
    p.schema ? html` ${schemaView(p.schema)}` : ''}${p.description ? html` <span class="field-description">— ${prose(p.description)}</span>` : ''}</li>
`)}</ul>`;
}

/** The media types of a body with their schemas; types that share one schema are listed together. */
function contentOf(content: Record<string, { schema?: JsonSchema }>): SafeHtml {
  const bySchema = new Map<string, { types: string[]; schema?: JsonSchema }>();
  for (const [type, media] of Object.entries(content)) {
    const key = JSON.stringify(media.schema ?? null);
    const group = bySchema.get(key) ?? { types: [], schema: media.schema };
    group.types.push(type);
    bySchema.set(key, group);
  }
  return html`${[...bySchema.values()].map((group) => html`<p class="media">${group.types.map((type, i) => html`${i > 0 ? ', ' : ''}<code>${type}</code>`)}</p>${
    group.schema ? schemaView(group.schema) : ''}`)}`;
}

function requestBodyOf(operation: OpenApiOperation): SafeHtml {
  if (!operation.requestBody) return html``;
  return html`<h4>Request body${operation.requestBody.required ? '' : ' (optional)'}</h4>
${contentOf(operation.requestBody.content)}`;
}

function responsesOf(operation: OpenApiOperation): SafeHtml {
  return html`<h4>Responses</h4>
<dl class="responses">
${Object.entries(operation.responses).map(([status, response]) => html`<dt><span class="status">${status}</span></dt>
<dd><p>${prose(response.description)}</p>${response.content ? contentOf(response.content) : ''}</dd>
`)}</dl>`;
}

function operationSection(entry: Entry): SafeHtml {
  const { operation } = entry;
  return html`<section class="operation">
<h3 id="${operationAnchor(entry)}">${methodBadge(entry.method)} <code class="path">${entry.path}</code></h3>
${operation.summary ? html`<p class="summary">${prose(operation.summary)}</p>` : ''}
${operation.description && operation.description !== operation.summary ? html`<p>${prose(operation.description)}</p>` : ''}
<p class="muted">Operation id: <code>${operation.operationId}</code></p>
${credentialOf(operation)}
${parametersOf(operation)}
${requestBodyOf(operation)}
${responsesOf(operation)}
</section>`;
}

function credentialsSection(schemes: Record<string, SecurityScheme>): SafeHtml {
  return html`<section class="credentials-section">
<h2 id="credentials">Credentials</h2>
<dl class="credentials">
${Object.entries(schemes).map(([name, scheme]) => html`<dt id="credential-${name}"><code>${name}</code></dt>
<dd><p>${schemeKind(scheme)}${scheme.description ? html`: ${prose(scheme.description)}` : ''}</p></dd>
`)}</dl>
</section>`;
}

function tableOfContents(groups: Map<string, Entry[]>, hasCredentials: boolean): SafeHtml {
  return html`<nav class="toc" aria-labelledby="toc-title">
<h2 id="toc-title">Contents</h2>
<ul>
${hasCredentials ? html`<li><a href="#credentials">Credentials</a></li>` : ''}
${[...groups].map(([tag, entries]) => html`<li><a href="#${tagAnchor(tag)}">${tag}</a>
<ul>
${entries.map((entry) => html`<li><a href="#${operationAnchor(entry)}">${entry.method} ${entry.path}</a></li>
`)}</ul>
</li>
`)}</ul>
</nav>`;
}

/**
 * GET /docs — the public OpenAPI document as a page, rendered here on the server (SPEC §10: a bundled
 * renderer, no CDN, no script): a table of contents, then each tag's operations with their
 * credential, parameters, request body and responses.
 */
export function apiDocsPage(document: OpenApiDocument): SafeHtml {
  const groups = byTag(document);
  const schemes = document.components?.securitySchemes ?? {};
  const hasCredentials = Object.keys(schemes).length > 0;
  return siteLayout({
    title: `${document.info.title} reference`,
    version: document.info.version,
    body: html`<div class="docs-layout">
${tableOfContents(groups, hasCredentials)}
<main class="docs-main">
<h1>${document.info.title} reference</h1>
${document.info.description ? html`<p>${prose(document.info.description)}.</p>` : ''}
<p class="muted">Version ${document.info.version}${document.servers?.[0] ? html` · Server <code>${document.servers[0].url}</code>` : ''} · <a href="/openapi.json">OpenAPI 3.1 document</a></p>
${hasCredentials ? credentialsSection(schemes) : ''}
${[...groups].map(([tag, entries]) => html`<section class="tag">
<h2 id="${tagAnchor(tag)}">${tag}</h2>
${entries.map(operationSection)}
</section>
`)}
</main>
</div>`,
  });
}
