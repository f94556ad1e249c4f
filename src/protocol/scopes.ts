/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), space-delimited. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** The distinct scope tokens of a scope string, or undefined when one is malformed. */
export function parseScope(scope: string): string[] | undefined {
  const tokens = scope.split(' ').filter((token) => token.length > 0);
  if (!tokens.every((token) => SCOPE_TOKEN.test(token))) return undefined;
  return [...new Set(tokens)];
}

/** True when every requested scope is among the allowed ones. */
export function isScopeSubset(requested: readonly string[], allowed: readonly string[]): boolean {
  return requested.every((scope) => allowed.includes(scope));
}

/** The scope values of OpenID Connect Core §5.4 and §11 that this server knows. */
export const OPENID_SCOPES: readonly string[] = ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'];

/**
 * The scopes an authorization request asks for, or the one that makes it `invalid_scope`.
 * OpenID Connect Core §3.1.2.1: with `openid`, scope values the server does not know are ignored —
 * known means a value of Core §5.4 / §11 or one of the client's own allowed scopes. A known scope the
 * client may not use is still `invalid_scope` (RFC 6749 §4.1.2.1). Without `openid` this is a plain
 * OAuth 2.0 request and every value must be allowed (RFC 6749 §3.3).
 */
export function resolveRequestedScopes(requested: readonly string[], allowed: readonly string[]): { scopes: string[] } | { refused: string } {
  const isOpenId = requested.includes('openid');
  const scopes = isOpenId ? requested.filter((scope) => OPENID_SCOPES.includes(scope) || allowed.includes(scope)) : [...requested];
  const refused = scopes.find((scope) => !allowed.includes(scope));
  return refused === undefined ? { scopes } : { refused };
}
