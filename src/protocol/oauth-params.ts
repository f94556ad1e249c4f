import { InvalidRequest } from './oauth-errors.js';
import { textProblem } from './text.js';

// Upper bounds of the parameters Latchkey reads. RFC 6749 Appendix A defines every one of them over
// printable characters (VSCHAR, NQCHAR, URI-reference), so none may hold a control character; the
// bounds are generous for a real client and keep hostile sizes away from the flows and the store.
// The flows apply the semantic limits (state ≤ 512, nonce ≤ 512, …) themselves.
const DEFAULT_MAX_LENGTH = 2048;
const MAX_LENGTH: Record<string, number> = {
  token: 8192,
  id_token_hint: 8192,
  claims: 8192,
};

/** The rule every parameter value meets (issue 11.3): why it fails, or undefined. */
function paramProblem(name: string, value: string): string | undefined {
  return textProblem(value, { maxLength: MAX_LENGTH[name] ?? DEFAULT_MAX_LENGTH });
}

/**
 * Turns form or query parameters into single values. RFC 6749 §3.1 / §3.2: parameters sent without
 * a value are treated as omitted, and parameters MUST NOT be included more than once — a repeat is
 * `invalid_request`. Every value passes the text rule of protocol/text.ts before anything reads it
 * (control characters, U+0000, lone surrogates, over-long values → `invalid_request` naming the
 * parameter), so no flow or store ever sees such text. Unknown parameters are kept (and ignored by
 * whoever reads them) under the same rule.
 */
export function singleValuedParams(params: Iterable<[string, string]>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of params) {
    if (value === '') continue;
    if (Object.hasOwn(values, name)) throw new InvalidRequest(`the ${describeName(name)} parameter is repeated`);
    const problem = paramProblem(name, value);
    if (problem) throw new InvalidRequest(`the ${describeName(name)} parameter ${problem}`);
    values[name] = value;
  }
  return values;
}

/** A parameter name as an error description may quote it: printable and short. */
function describeName(name: string): string {
  return textProblem(name, { maxLength: 64 }) ? 'unnamed' : name;
}

/** A required, non-empty parameter; `invalid_request` naming it otherwise (SPEC §3). */
export function requireParam(params: Record<string, string | undefined>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw new InvalidRequest(`the ${name} parameter is required`);
  return value;
}

/**
 * Like singleValuedParams, except for `resource`, the one parameter that may repeat (RFC 8707 §2:
 * "may be used multiple times"); its values come back apart, in order, under the same text rule.
 */
export function paramsWithResources(params: Iterable<[string, string]>): { params: Record<string, string>; resources: string[] } {
  const resources: string[] = [];
  const others: Array<[string, string]> = [];
  for (const [name, value] of params) {
    if (name !== 'resource') others.push([name, value]);
    else if (value !== '') {
      const problem = paramProblem(name, value);
      if (problem) throw new InvalidRequest(`the resource parameter ${problem}`);
      resources.push(value);
    }
  }
  return { params: singleValuedParams(others), resources };
}
