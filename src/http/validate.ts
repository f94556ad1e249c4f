import * as v from 'valibot';
import { ValidationError } from '../protocol/errors.js';
import { toWireIssues } from './issues.js';
import { rule } from './schemas/common.js';

/** Deeper bodies are refused before any schema (or JSON.stringify) recurses into them. */
export const MAX_JSON_DEPTH = 32;

/** Nesting depth of a parsed JSON value, without recursion (a hostile body may nest thousands deep). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_JSON_DEPTH) return deepest;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

const ShallowEnough = v.pipe(
  v.unknown(),
  rule((input) => depthOf(input) <= MAX_JSON_DEPTH, `the body nests deeper than ${MAX_JSON_DEPTH} levels`, `<= ${MAX_JSON_DEPTH} levels of nesting`),
);

/**
 * Parses a raw body with its schema in one step (STYLE §7). Text that is not JSON, or JSON that is
 * not an object (an array, a string, null), is validated as `undefined` (SPEC §3), so it is reported
 * with the same issue shape as any other bad body.
 */
export function parseJsonBody<TSchema extends v.GenericSchema>(schema: TSchema, rawBody: string): v.InferOutput<TSchema> {
  let input: unknown;
  try {
    input = rawBody.length === 0 ? undefined : JSON.parse(rawBody);
  } catch {
    input = undefined;
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) input = undefined;
  const shallow = v.safeParse(ShallowEnough, input);
  if (!shallow.success) throw new ValidationError(toWireIssues(shallow.issues.map((issue) => ({ ...issue, input: undefined }))));
  const result = v.safeParse(schema, input);
  if (!result.success) throw new ValidationError(toWireIssues(result.issues));
  return result.output;
}

/** Parses a query string's parameters (the first value of each) with its object schema, like a body. */
export function parseQuery<TSchema extends v.GenericSchema>(schema: TSchema, query: Record<string, string>): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, query);
  if (!result.success) throw new ValidationError(toWireIssues(result.issues));
  return result.output;
}
