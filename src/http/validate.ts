import * as v from 'valibot';
import { ValidationError } from '../protocol/errors.js';
import { toWireIssues } from './issues.js';

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
  const result = v.safeParse(schema, input);
  if (!result.success) throw new ValidationError(toWireIssues(result.issues));
  return result.output;
}
