import { html, type SafeHtml } from '../html.js';

/** The part of JSON Schema (draft 2020-12) that the OpenAPI document's schemas use. */
export interface JsonSchema {
  type?: string | string[];
  format?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
}

// Deeper than any schema of ours; a guard so a self-referencing document cannot recurse forever.
const MAX_DEPTH = 8;

const variantsOf = (schema: JsonSchema) => schema.anyOf ?? schema.oneOf;

/** A short type name: `string (date-time)`, `"sms"`, `array of string`, `object`. */
function typeLabel(schema: JsonSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return `one of ${schema.enum.map((value) => JSON.stringify(value)).join(', ')}`;
  const variants = variantsOf(schema);
  // Alternatives of one type (two object shapes) say it once; the shapes are listed below.
  if (variants) return [...new Set(variants.map(typeLabel))].join(' or ');
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : schema.type;
  if (type === 'array') return `array of ${schema.items ? typeLabel(schema.items) : 'any'}`;
  if (type === undefined) return schema.properties ? 'object' : 'any';
  return schema.format ? `${type} (${schema.format})` : type;
}

/** The limits a value must keep, in words. */
function constraints(schema: JsonSchema): string[] {
  const found: string[] = [];
  const range = (min: number | undefined, max: number | undefined, unit: string) => {
    if (min !== undefined && max !== undefined) found.push(`${min}–${max} ${unit}`);
    else if (min !== undefined) found.push(`at least ${min} ${unit}`);
    else if (max !== undefined) found.push(`at most ${max} ${unit}`);
  };
  range(schema.minLength, schema.maxLength, 'characters');
  range(schema.minItems, schema.maxItems, 'items');
  if (schema.minimum !== undefined) found.push(`minimum ${schema.minimum}`);
  if (schema.maximum !== undefined) found.push(`maximum ${schema.maximum}`);
  if (schema.pattern !== undefined) found.push(`pattern ${schema.pattern}`);
  if (schema.default !== undefined) found.push(`defaults to ${JSON.stringify(schema.default)}`);
  return found;
}

/** The schema's own line: type and limits (the name, if any, is the caller's). */
function summaryLine(schema: JsonSchema): SafeHtml {
  const limits = constraints(schema);
  return html`<span class="type">${typeLabel(schema)}</span>${limits.length > 0 ? html` <span class="limits">· ${limits.join(' · ')}</span>` : ''}${
    schema.description ? html` <span class="field-description">— ${schema.description}</span>` : ''}`;
}

/** What lies inside a schema: its fields, its array items' fields, or its alternatives. */
function children(schema: JsonSchema, depth: number): SafeHtml {
  if (depth >= MAX_DEPTH) return html``;
  const variants = variantsOf(schema);
  if (variants && variants.some((variant) => hasChildren(variant))) {
    return html`<ol class="variants">
${variants.map((variant, i) => html`<li><span class="variant">Variant ${i + 1}:</span> ${summaryLine(variant)}${children(variant, depth + 1)}</li>
`)}</ol>`;
  }
  if (schema.items && hasChildren(schema.items)) return children(schema.items, depth + 1);
  if (!schema.properties || Object.keys(schema.properties).length === 0) return html``;
  const required = new Set(schema.required ?? []);
  return html`<ul class="fields">
${Object.entries(schema.properties).map(([name, property]) => html`<li><code class="field-name">${name}</code> ${
    required.has(name) ? html`<span class="required">required</span>` : html`<span class="optional">optional</span>`} ${summaryLine(property)}${children(property, depth + 1)}</li>
`)}</ul>`;
}

function hasChildren(schema: JsonSchema): boolean {
  return Boolean((schema.properties && Object.keys(schema.properties).length > 0) || variantsOf(schema) || (schema.items && hasChildren(schema.items)));
}

/** A schema as nested lists: readable on a phone, where a wide table would scroll sideways. */
export function schemaView(schema: JsonSchema): SafeHtml {
  return html`<div class="schema"><p class="schema-type">${summaryLine(schema)}</p>${children(schema, 0)}</div>`;
}
