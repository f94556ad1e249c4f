import { InvalidRequest } from './oauth-errors.js';

/**
 * Turns form or query parameters into single values. RFC 6749 §3.1 / §3.2: parameters sent without
 * a value are treated as omitted, and parameters MUST NOT be included more than once — a repeat is
 * `invalid_request`. Unknown parameters are kept (and ignored by whoever reads them).
 */
export function singleValuedParams(params: Iterable<[string, string]>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of params) {
    if (value === '') continue;
    if (Object.hasOwn(values, name)) throw new InvalidRequest(`the ${name} parameter is repeated`);
    values[name] = value;
  }
  return values;
}

/** A required, non-empty parameter; `invalid_request` naming it otherwise (SPEC §3). */
export function requireParam(params: Record<string, string | undefined>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw new InvalidRequest(`the ${name} parameter is required`);
  return value;
}
