import type { Context } from 'hono';
import { InvalidClient, InvalidRequest } from '../../protocol/oauth-errors.js';
import { paramsWithResources, singleValuedParams } from '../../protocol/oauth-params.js';
import type { ClientCredentials } from '../../flows/oauth/client-authentication.js';

/**
 * The parameters of an OAuth POST: `application/x-www-form-urlencoded` (RFC 6749 §3.2) or, as SPEC
 * §6.4 also allows, a flat JSON object of strings. Parameters in the query string are refused: client
 * secrets, codes and tokens never travel in URLs (CHECKLIST; RFC 6750 §2.3).
 */
export async function readOAuthParams(c: Context): Promise<Record<string, string>> {
  return (await readOAuthRequest(c, { resources: false })).params;
}

/**
 * readOAuthParams, with the RFC 8707 `resource` values apart (it may repeat in a form; in a JSON body
 * it is one string). With `resources: false` a `resource` is an ordinary single-valued parameter.
 */
export async function readOAuthRequest(c: Context, options: { resources: boolean } = { resources: true }): Promise<{ params: Record<string, string>; resources: string[] }> {
  const read = (entries: Array<[string, string]>) => (options.resources ? paramsWithResources(entries) : { params: singleValuedParams(entries), resources: [] });
  if (new URL(c.req.url).search.length > 1) throw new InvalidRequest('parameters must be sent in the request body, not the query string');
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const raw = await c.req.text();
  if (type === 'application/x-www-form-urlencoded') return read([...new URLSearchParams(raw)]);
  if (type === 'application/json') {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new InvalidRequest('the body is not valid JSON');
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequest('the body must be a JSON object');
    for (const [name, value] of Object.entries(body)) {
      if (typeof value !== 'string') throw new InvalidRequest(`the ${name} parameter must be a string`);
    }
    return read(Object.entries(body) as Array<[string, string]>);
  }
  throw new InvalidRequest('the body must be application/x-www-form-urlencoded or application/json');
}

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64 ('+' is a space). */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/**
 * Client identification and secret, from HTTP Basic, the `client_id` / `client_secret` parameters,
 * or the `x-client-key` / `x-secret-key` headers (SPEC §6.4). RFC 6749 §2.3: one authentication
 * method per request; every client id given must agree.
 */
export function readClientCredentials(c: Context, params: Record<string, string>): ClientCredentials {
  let basic: { id: string; secret: string } | undefined;
  const authorization = c.req.header('authorization');
  if (authorization && /^basic /i.test(authorization)) {
    try {
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new Error('no colon');
      basic = { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
    } catch (error) {
      throw new InvalidClient('malformed HTTP Basic credentials', { usedBasic: true, cause: error });
    }
  }
  const headerSecret = c.req.header('x-secret-key');
  const methods = [basic, params.client_secret, headerSecret].filter((method) => method !== undefined);
  if (methods.length > 1) throw new InvalidRequest('use exactly one client authentication method');
  const ids = [basic?.id, params.client_id, c.req.header('x-client-key')].filter((id): id is string => Boolean(id));
  if (new Set(ids).size > 1) throw new InvalidRequest('the client identifiers of this request disagree');
  return { clientId: ids[0], clientSecret: basic?.secret ?? params.client_secret ?? headerSecret, usedBasic: basic !== undefined };
}
