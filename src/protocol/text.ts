/**
 * The one rule for text that may reach a store: the same on every route, in every position (query,
 * form, JSON, path segment, header-derived id), so SQLite and PostgreSQL store — and refuse —
 * exactly the same inputs (issue 11.3).
 */

// PostgreSQL `text` cannot hold U+0000 (the query fails, a 500); SQLite would store it.
const NUL = '\u0000';

// Lone UTF-16 surrogates cannot be encoded as UTF-8: both drivers would store U+FFFD in their place,
// making two different inputs one value.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// C0 controls and DEL: no protocol value (RFC 6749 Appendix A: VSCHAR / NQCHAR, RFC 3986 URIs,
// keys, ids, tokens) contains them.
const CONTROL = /[\u0000-\u001F\u007F]/;

/** Text any text column can hold as sent: no U+0000, no lone surrogate. */
export function isStorableText(value: string): boolean {
  return !value.includes(NUL) && !LONE_SURROGATE.test(value);
}

/** Whether every string of a parsed JSON value — object keys included — is storable text. */
export function isStorableJson(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string' && !isStorableText(item)) return false;
    if (item === null || typeof item !== 'object') continue;
    for (const [key, child] of Object.entries(item)) {
      if (!isStorableText(key)) return false;
      stack.push(child);
    }
  }
  return true;
}

/**
 * Why `value` is not acceptable text, or undefined when it is. `allowControls` keeps TAB, CR, LF
 * and the other C0 controls for free text (a password); U+0000 and lone surrogates never pass.
 */
export function textProblem(value: string, options: { maxLength: number; allowControls?: boolean }): string | undefined {
  if (value.length > options.maxLength) return `must be at most ${options.maxLength} characters`;
  if (value.includes(NUL)) return 'must not contain U+0000';
  if (LONE_SURROGATE.test(value)) return 'must be well-formed text (no lone surrogate)';
  if (!options.allowControls && CONTROL.test(value)) return 'must not contain control characters';
  return undefined;
}
