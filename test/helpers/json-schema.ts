/** The JSON Schema subset that @valibot/to-json-schema emits for Latchkey's response bodies. */
export interface JsonSchema {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/**
 * Why `value` does not match `schema` (a path and a reason), or undefined when it does. Enough of
 * JSON Schema to check a response against the body the OpenAPI document promises for its status.
 */
export function schemaMismatch(schema: JsonSchema, value: unknown, where = '$'): string | undefined {
  if (schema.anyOf || schema.oneOf) {
    const options = schema.anyOf ?? schema.oneOf!;
    return options.some((option) => schemaMismatch(option, value, where) === undefined) ? undefined : `${where}: matches none of ${options.length} shapes`;
  }
  for (const part of schema.allOf ?? []) {
    const problem = schemaMismatch(part, value, where);
    if (problem) return problem;
  }
  if (schema.const !== undefined && value !== schema.const) return `${where}: expected ${JSON.stringify(schema.const)}`;
  if (schema.enum && !schema.enum.includes(value)) return `${where}: not one of ${JSON.stringify(schema.enum)}`;
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return `${where}: expected ${types.join('|')}, got ${actual}`;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (!(name in record)) return `${where}.${name}: missing`;
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      if (name in record) {
        const problem = schemaMismatch(property, record[name], `${where}.${name}`);
        if (problem) return problem;
      }
    }
  }
  if (Array.isArray(value) && schema.items) {
    for (const [index, item] of value.entries()) {
      const problem = schemaMismatch(schema.items, item, `${where}[${index}]`);
      if (problem) return problem;
    }
  }
  return undefined;
}
