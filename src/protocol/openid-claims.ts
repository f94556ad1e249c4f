// OpenID Connect Core §5.4: the claims each standard scope value asks for, and §5.5: which of them
// the `claims` request parameter asks for in the ID token or at UserInfo. Pure rules; the values
// come from the person's record (flows/oauth/claims.ts).

/** Core §5.4, for the scopes Latchkey has values for (SPEC §9). */
export const SCOPE_CLAIMS: Readonly<Record<string, readonly string[]>> = {
  profile: ['name', 'given_name', 'family_name', 'updated_at'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  address: ['address'],
};

/** The scope a claim about the person belongs to (each belongs to one), or undefined for any other claim. */
export function scopeOfClaim(claim: string): string | undefined {
  return Object.keys(SCOPE_CLAIMS).find((scope) => SCOPE_CLAIMS[scope]!.includes(claim));
}

/** Every claim about the person that UserInfo (or, when asked, the ID token) can carry. */
export const PERSON_CLAIMS: readonly string[] = Object.values(SCOPE_CLAIMS).flat();

/** The claims of an ID token that are not about the person (Core §2, §3.1.3.6). */
export const ID_TOKEN_CLAIMS: readonly string[] = ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'sid', 'at_hash'];

/** Core §5.4: the person's claims the granted scope values allow. */
export function claimsOfScopes(scopes: readonly string[]): string[] {
  return scopes.flatMap((scope) => SCOPE_CLAIMS[scope] ?? []);
}

/**
 * Core §5.5: the person's claims a `claims` request (stored as validated JSON text) names under
 * `id_token` or `userinfo`. Claims this server has no value for are ignored (§5.5: "not an error");
 * so is a request that does not parse — it was validated when the authorization request came in.
 */
export function requestedClaims(claimsJson: string | null | undefined, target: 'id_token' | 'userinfo'): string[] {
  if (!claimsJson) return [];
  let request: unknown;
  try {
    request = JSON.parse(claimsJson);
  } catch {
    return [];
  }
  const members = isObject(request) ? request[target] : undefined;
  return isObject(members) ? Object.keys(members).filter((name) => PERSON_CLAIMS.includes(name)) : [];
}

/**
 * What a consent page must show beyond the scope (SPEC §7): the scope values whose claims the
 * `claims` request names (Core §5.5 lets it ask for claims no scope granted), in scope order.
 */
export function scopesOfRequestedClaims(claimsJson: string | null | undefined): string[] {
  const named = new Set([...requestedClaims(claimsJson, 'userinfo'), ...requestedClaims(claimsJson, 'id_token')]);
  return Object.entries(SCOPE_CLAIMS).filter(([, claims]) => claims.some((claim) => named.has(claim))).map(([scope]) => scope);
}

/**
 * What the person consents to (SPEC §7) and the grant records: the scope values asked for, and those
 * whose claims the `claims` request names. Remembered consent must cover all of it, so a later
 * request cannot reach more claims through `claims` than the person approved.
 */
export function consentScope(scope: string, claimsJson: string | null | undefined): string {
  return [...new Set([...scope.split(' '), ...scopesOfRequestedClaims(claimsJson)])].filter(Boolean).join(' ');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
