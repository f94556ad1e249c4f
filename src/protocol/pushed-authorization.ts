// RFC 9126 pushed authorization requests (SPEC §13), as pure rules.

/** RFC 9126 §2.2: the `request_uri` is a URN of this prefix and 256 random bits. */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';

/** Whether a `request_uri` has the form of one the PAR endpoint issues (RFC 9126 §2.2). */
export function isPushedRequestUri(value: string | undefined): value is string {
  return value !== undefined && value.startsWith(REQUEST_URI_PREFIX);
}

/**
 * The parameters of an authorization request a pushed request keeps (RFC 6749 §4.1.1, RFC 7636
 * §4.3, OpenID Connect Core §3.1.2.1, RFC 9449 §10 `dpop_jkt`, Latchkey's `mode`). Anything else — client credentials
 * above all — is never stored; unknown parameters would be ignored anyway (RFC 6749 §3.1).
 */
export const PUSHABLE_PARAMETERS: readonly string[] = [
  'response_type', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method', 'scope', 'nonce', 'prompt', 'max_age',
  'login_hint', 'id_token_hint', 'claims', 'response_mode', 'display', 'ui_locales', 'claims_locales', 'acr_values', 'mode',
  // RFC 9449 §10.1: named by the client, or the key of the DPoP proof sent to the PAR endpoint.
  'dpop_jkt',
];

/** The pushable parameters of `params`, nothing else. */
export function pushableParameters(params: Record<string, string | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of PUSHABLE_PARAMETERS) {
    const value = params[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}
