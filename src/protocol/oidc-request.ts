import { InvalidRequest } from './oauth-errors.js';

// The OpenID Connect parameters of an authorization request (Core §3.1.2.1), as pure rules: each
// reader takes the raw parameter and returns the value to store, or throws `invalid_request`.

/** Core §3.1.2.1: the `prompt` values this server understands. */
export const PROMPT_VALUES: readonly string[] = ['none', 'login', 'consent', 'select_account'];
/** Core §3.1.2.1: the `display` values. Accepted and ignored: the pages fit every one. */
const DISPLAY_VALUES: readonly string[] = ['page', 'popup', 'touch', 'wap'];
/** Core §3.1.2.1 gives no bound; a hint is an email, a phone or an id — 256 characters is plenty. */
const MAX_LOGIN_HINT_LENGTH = 256;

/**
 * Core §3.1.2.1 `prompt`: a space-delimited list of known values, without repeats; `none` with any
 * other value is an error. Returns the distinct values, space-separated, or null when absent.
 */
export function readPrompt(value: string | undefined): string | null {
  if (value === undefined) return null;
  const values = [...new Set(value.split(' ').filter(Boolean))];
  const unknown = values.find((prompt) => !PROMPT_VALUES.includes(prompt));
  if (unknown !== undefined) throw new InvalidRequest(`prompt ${unknown} is not supported (none, login, consent, select_account)`);
  // Core §3.1.2.1: "If this parameter contains none with any other value, an error is returned."
  if (values.includes('none') && values.length > 1) throw new InvalidRequest('prompt none cannot be combined with another value');
  return values.length > 0 ? values.join(' ') : null;
}

/** Whether a stored `prompt` contains `value`. */
export function hasPrompt(prompt: string | null, value: string): boolean {
  return prompt !== null && prompt.split(' ').includes(value);
}

/** Core §3.1.2.1 `max_age`: seconds, a non-negative integer. */
export function readMaxAge(value: string | undefined): number | null {
  if (value === undefined) return null;
  if (!/^\d{1,15}$/.test(value)) throw new InvalidRequest('max_age must be a non-negative integer number of seconds');
  return Number(value);
}

/** Core §3.1.2.1 `display`: one of the four values; nothing changes with it. */
export function checkDisplay(value: string | undefined): void {
  if (value !== undefined && !DISPLAY_VALUES.includes(value)) throw new InvalidRequest('display must be page, popup, touch or wap');
}

/** Core §3.1.2.1 `login_hint`: kept to pre-fill the login page. */
export function readLoginHint(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.length > MAX_LOGIN_HINT_LENGTH) throw new InvalidRequest(`login_hint must be at most ${MAX_LOGIN_HINT_LENGTH} characters`);
  return value;
}

/**
 * OAuth 2.0 Multiple Response Type Encoding Practices §2.1: `response_mode` — the authorization
 * response goes back in the query only (SPEC §9), so any other mode is refused rather than ignored.
 */
export function checkResponseMode(value: string | undefined): void {
  if (value !== undefined && value !== 'query') throw new InvalidRequest('response_mode must be query');
}

/** What decides whether a sign-in may answer an authorization request (Core §3.1.2.1). */
export interface SignInRequirements {
  prompt: string | null;
  maxAge: number | null;
  idTokenHintSubject: string | null;
  /** When the authorization request was made. */
  createdAt: number;
}

/**
 * Why an existing sign-in (who, and when they authenticated: `auth_time`) cannot answer this request,
 * or undefined when it can. A sign-in made after the request was created was made for it, so it
 * always satisfies `prompt=login` and `max_age`.
 * - Core §3.1.2.1 `prompt=login`: re-authenticate even when signed in (`select_account` likewise).
 * - Core §3.1.2.1 `max_age`: a sign-in older than `max_age` seconds must re-authenticate.
 * - Core §3.1.2.1 `id_token_hint`: a sign-in of another person is not the one the client expects.
 */
export function signInProblem(request: SignInRequirements, signIn: { consumerId: string; authenticatedAt: number }, now: number): string | undefined {
  if (request.idTokenHintSubject !== null && signIn.consumerId !== request.idTokenHintSubject) return 'the signed-in user is not the one id_token_hint names';
  const isForThisRequest = signIn.authenticatedAt >= request.createdAt;
  if (isForThisRequest) return undefined;
  if (hasPrompt(request.prompt, 'login')) return 'prompt=login asks for a new sign-in';
  // Core §3.1.2.1 `select_account`: the browser holds one sign-in; the login page is where the
  // person chooses which account answers.
  if (hasPrompt(request.prompt, 'select_account')) return 'prompt=select_account asks which account to use';
  if (request.maxAge !== null && now - signIn.authenticatedAt > request.maxAge * 1000) return 'the sign-in is older than max_age';
  return undefined;
}
