import { InvalidRequest } from './oauth-errors.js';
import { scopeOfClaim } from './openid-claims.js';

/** One claim of a `claims` request (OpenID Connect Core §5.5.1): null, or how it is wanted. */
export type ClaimRequest = null | { essential?: boolean; value?: unknown; values?: unknown[] };

/**
 * OpenID Connect Core §5.5: the `claims` request parameter, normalized. Stored as JSON text on the
 * authorization request, code and token family; read by the UserInfo endpoint (`userinfo`) and the
 * ID token (`id_token`).
 */
export interface ClaimsRequest {
  userinfo?: Record<string, ClaimRequest>;
  id_token?: Record<string, ClaimRequest>;
}

/** Core §5.5: the members of the top-level object this server reads; others are ignored. */
const TARGETS = ['userinfo', 'id_token'] as const;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Core §5.5.1: null, or an object whose `essential` is a boolean and `values` an array. */
function readClaim(name: string, request: unknown): ClaimRequest {
  if (request === null) return null;
  if (!isObject(request)) throw new InvalidRequest(`claims: the request for ${name} must be null or an object`);
  const claim: { essential?: boolean; value?: unknown; values?: unknown[] } = {};
  if (request.essential !== undefined) {
    if (typeof request.essential !== 'boolean') throw new InvalidRequest(`claims: essential of ${name} must be true or false`);
    claim.essential = request.essential;
  }
  if (request.value !== undefined) claim.value = request.value;
  if (request.values !== undefined) {
    if (!Array.isArray(request.values)) throw new InvalidRequest(`claims: values of ${name} must be an array`);
    claim.values = request.values;
  }
  // Core §5.5.1: other members (definitions from extensions) are ignored when not understood.
  return claim;
}

/**
 * Core §5.5 `claims`: a JSON object with optional `userinfo` and `id_token` members, each an object
 * of claim name → null | { essential, value, values }. Malformed → `invalid_request`. Returns the
 * normalized JSON text (only the members read, in a fixed shape), or null when absent.
 */
export function readClaimsRequest(value: string | undefined, allowedScopes: readonly string[]): string | null {
  if (value === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidRequest('claims must be a JSON object');
  }
  if (!isObject(parsed)) throw new InvalidRequest('claims must be a JSON object');
  const normalized: ClaimsRequest = {};
  for (const target of TARGETS) {
    const members = parsed[target];
    if (members === undefined || members === null) continue;
    if (!isObject(members)) throw new InvalidRequest(`claims: ${target} must be an object`);
    // Object.fromEntries defines own properties, so a claim named `__proto__` stays a plain key.
    const claims = Object.entries(members).map(([name, request]) => [name, readClaim(name, request)] as const);
    // A claim about the person belongs to a scope (Core §5.4); one of a scope this client may not use
    // is dropped — `claims` never reaches past the application's scopes (Core §5.5: a requested
    // claim that is not returned is not an error).
    normalized[target] = Object.fromEntries(claims.filter(([name]) => isWithinScopes(name, allowedScopes)));
  }
  return JSON.stringify(normalized);
}

/** Whether the claim is not about the person, or is of a scope among `scopes`. */
function isWithinScopes(claim: string, scopes: readonly string[]): boolean {
  const scope = scopeOfClaim(claim);
  return scope === undefined || scopes.includes(scope);
}

/**
 * Core §5.5.1: a request for `sub` with a `value` may only be answered for that person — the same
 * rule as `id_token_hint`. The value asked for (in `id_token` or `userinfo`), or null.
 */
export function requestedSubject(claimsJson: string | null): string | null {
  if (claimsJson === null) return null;
  const request = JSON.parse(claimsJson) as ClaimsRequest;
  const values = TARGETS.map((target) => request[target]?.sub?.value).filter((value) => value !== undefined);
  if (values.some((value) => typeof value !== 'string')) throw new InvalidRequest('claims: the value of sub must be a string');
  if (new Set(values).size > 1) throw new InvalidRequest('claims: id_token and userinfo ask for different values of sub');
  return (values[0] as string | undefined) ?? null;
}
