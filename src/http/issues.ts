import type * as v from 'valibot';
import type { WireIssue } from '../protocol/errors.js';

/**
 * Body fields whose values are secrets. Valibot issues echo the input (path items carry the parent
 * object), so these values are replaced before an issue leaves the server (SPEC §3: no response
 * contains a code, token or secret in clear).
 */
const SECRET_FIELDS = new Set([
  'exchangeCode', 'codeVerifier', 'refreshToken', 'password', 'otpCode', 'code', 'code_verifier',
  'refresh_token', 'client_secret', 'token', 'secretKey', 'secondFactorToken', 'totpCode', 'recoveryCode',
]);
const REDACTED = '[redacted]';

function redactObject(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, SECRET_FIELDS.has(key) ? REDACTED : field]));
}

// Valibot's checks whose requirement is code, not a value it can name.
const CHECK_TYPES = new Set(['check', 'raw_check', 'partial_check', 'custom', 'check_items', 'every_item', 'some_item']);

/**
 * Seed 000 (and the OpenAPI schema) type `expected` as a string on every issue, but Valibot leaves it
 * null for format actions (`email`, `url`, `iso_timestamp`, …) and for plain checks. The format's
 * name is what was expected; a check says only that a valid value was.
 */
function expectedOf(issue: v.BaseIssue<unknown>): string {
  if (issue.expected !== null) return issue.expected;
  return CHECK_TYPES.has(issue.type) ? 'a valid value' : issue.type;
}

/** Seed 000's issue objects: Valibot's own, with `path: []` when Valibot omits it, `expected` always a string, secrets redacted. */
export function toWireIssues(issues: readonly v.BaseIssue<unknown>[]): WireIssue[] {
  return issues.map((issue) => {
    const path = (issue.path ?? []).map((item) => ({
      type: item.type,
      origin: item.origin,
      input: redactObject(item.input),
      key: item.key,
      ...('value' in item ? { value: SECRET_FIELDS.has(String(item.key)) ? REDACTED : item.value } : {}),
    }));
    const lastKey = path.length > 0 ? String(path[path.length - 1]!.key) : undefined;
    const isSecret = lastKey !== undefined && SECRET_FIELDS.has(lastKey);
    // Valibot's `received` (and the message quoting it) is the value itself for a secret field sent
    // with a stray character or as a number: replace it too.
    const received = isSecret && issue.received !== 'undefined' ? `"${REDACTED}"` : issue.received;
    const message = received === issue.received ? issue.message : issue.message.split(issue.received).join(received);
    return {
      kind: issue.kind,
      type: issue.type,
      ...('input' in issue && issue.input !== undefined ? { input: isSecret ? REDACTED : redactObject(issue.input) } : {}),
      expected: expectedOf(issue),
      received,
      message,
      path,
      ...(issue.issues ? { issues: toWireIssues(issue.issues) } : {}),
    };
  });
}
