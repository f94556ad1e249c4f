import * as v from 'valibot';
import type { Context } from 'hono';
import { ApiError, BadRequest } from '../../protocol/errors.js';
import { textProblem } from '../../protocol/text.js';

// The hosted forms hold an email, a password, a 6-digit code, a CSRF token and a signed pending
// token: a few hundred characters at most. Longer values are refused, not cut.
const MAX_FIELD_LENGTH = 4096;
// The JSON of a passkey credential (SPEC §12) is the one longer field: a few kilobytes with an RSA key.
const MAX_CREDENTIAL_LENGTH = 32768;

/**
 * The string fields of a hosted form POST (SPEC §7). A body that cannot be read (a multipart body
 * without its boundary, truncated, garbage) or a field of bad text (U+0000, a lone surrogate, over
 * 4096 characters) is the sender's mistake: 400, which the pages render as an HTML page — never a
 * 500 (issue 11.4) and never text a store cannot hold (issue 11.3). Passwords may hold any other
 * character, so control characters are allowed.
 */
export async function readHostedForm(c: Context): Promise<Record<string, string>> {
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new BadRequest('the form could not be read; reload the page and try again', { cause: error });
  }
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) {
    if (typeof value !== 'string') continue;
    if (textProblem(value, { maxLength: name === 'credential' ? MAX_CREDENTIAL_LENGTH : MAX_FIELD_LENGTH, allowControls: true })) {
      throw new BadRequest('the form holds a value this page does not accept; reload the page and try again');
    }
    values[name] = value;
  }
  return values;
}

/**
 * A form field holding JSON (the passkey credential the page's script put there), parsed and checked
 * against `schema`; undefined when it is missing, not JSON or not of that shape.
 */
export function readJsonField<T extends v.GenericSchema>(value: string | undefined, schema: T): v.InferOutput<T> | undefined {
  if (!value) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  const result = v.safeParse(schema, parsed);
  return result.success ? result.output : undefined;
}
