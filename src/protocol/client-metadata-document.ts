import { redirectUriProblem } from './redirect-uri.js';
import { OPENID_SCOPES, parseScope } from './scopes.js';
import { textProblem } from './text.js';

// OAuth Client ID Metadata Document, draft-ietf-oauth-client-id-metadata-document-01 ("CIMD" below):
// the rules on the URL and on the document, without any I/O (the fetch is src/net/).

/** The longest client_id URL accepted: an identifier, not a place to smuggle data. */
export const CLIENT_ID_URL_MAX_LENGTH = 2048;

/** Whether a client_id is meant as a metadata document URL (rather than a publishable key). */
export function isClientIdUrl(clientId: string): boolean {
  return /^https?:\/\//i.test(clientId);
}

/**
 * CIMD §3 (Client Identifier): the URL MUST use https, MUST contain a path, MUST NOT contain
 * single- or double-dot path segments, a fragment or a username/password, SHOULD NOT contain a query
 * (refused here: one document, one URL). It must be in canonical form, since the document's own
 * `client_id` is compared with it as a plain string (CIMD §4). `allowHttp`: the test-only setting.
 * Returns why the URL is refused, or undefined.
 */
export function clientIdUrlProblem(clientId: string, allowHttp: boolean): string | undefined {
  if (clientId.length > CLIENT_ID_URL_MAX_LENGTH) return `is longer than ${CLIENT_ID_URL_MAX_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) return 'must use https';
  if (url.username || url.password) return 'must not contain a username or password';
  if (clientId.includes('#')) return 'must not contain a fragment';
  if (url.search || clientId.includes('?')) return 'must not contain a query';
  if (url.pathname === '/' || url.pathname === '') return 'must contain a path';
  const rawPath = clientId.replace(/^https?:\/\/[^/]*/i, '');
  if (rawPath.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) return 'must not contain dot path segments';
  if (url.href !== clientId) return `is not in canonical form (${url.href})`;
  return undefined;
}

/** A fetched Client ID Metadata Document: its JSON and its caching header. */
export interface FetchedDocument {
  body: unknown;
  cacheControl: string | null;
}

/** Fetches a document (src/net/metadata-document-fetch.ts: the SSRF-guarded implementation). */
export type DocumentFetcher = (url: string) => Promise<FetchedDocument>;

/** Why a document could not be fetched; the message is safe to show the client. */
export class DocumentFetchError extends Error {}

/** What Latchkey keeps of a valid metadata document. */
export interface ClientMetadata {
  clientId: string;
  name: string;
  redirectUris: string[];
  allowedScopes: string[];
}

/** A document that cannot describe a client here; the message says which rule it breaks. */
export class InvalidClientMetadata extends Error {}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/**
 * CIMD §4 (Client Metadata): the document is a JSON object whose `client_id` equals the URL it
 * was fetched from (simple string comparison, RFC 3986 §6.2.1); it lists its redirect URIs; as no
 * secret can be shared with such a client it has none (`client_secret`, `client_secret_expires_at`
 * MUST NOT appear) and it authenticates with `none` — the only method offered to these clients
 * here, which keeps them public and PKCE-bound (SPEC §13). Redirect URIs obey the rules of
 * registered applications (SPEC §1) for the environment the client is placed in.
 */
export function readClientMetadata(document: unknown, clientId: string, environment: 'test' | 'live'): ClientMetadata {
  if (!isObject(document)) throw new InvalidClientMetadata('the document is not a JSON object');
  if (document.client_id !== clientId) throw new InvalidClientMetadata('the document\'s client_id is not the URL it was fetched from');
  if ('client_secret' in document || 'client_secret_expires_at' in document) {
    throw new InvalidClientMetadata('the document must not contain client_secret or client_secret_expires_at');
  }
  const authMethod = document.token_endpoint_auth_method ?? 'none';
  if (authMethod !== 'none') throw new InvalidClientMetadata('token_endpoint_auth_method must be none (public clients with PKCE)');
  const redirectUris = readRedirectUris(document.redirect_uris, environment);
  checkGrantAndResponseTypes(document);
  const name = readClientName(document.client_name, new URL(clientId).host);
  return { clientId, name, redirectUris, allowedScopes: readScope(document.scope) };
}

/** RFC 7591 §2 `client_name`: shown on the consent page, so plain text of 1 to 100 characters. */
export function readClientName(value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  const problem = typeof value !== 'string' ? 'must be a string' : value.trim() === '' ? 'must not be empty' : textProblem(value.trim(), { maxLength: 100 });
  if (problem) throw new InvalidClientMetadata(`client_name ${problem}`);
  return (value as string).trim();
}

/** RFC 7591 §2: `redirect_uris`, required here (the code flow needs one), each valid for the environment. */
export function readRedirectUris(value: unknown, environment: 'test' | 'live'): string[] {
  if (!isStringList(value) || value.length === 0) throw new InvalidRedirectUri('redirect_uris must be a non-empty list of URIs');
  if (value.length > 20) throw new InvalidRedirectUri('redirect_uris lists more than 20 URIs');
  for (const uri of value) {
    const problem = textProblem(uri, { maxLength: 2000 }) ?? redirectUriProblem(uri, environment);
    if (problem) throw new InvalidRedirectUri(`redirect URI ${uri} ${problem}`);
  }
  return [...new Set(value)];
}

/** A redirect URI that cannot be registered (RFC 7591 §3.2.2 `invalid_redirect_uri`). */
export class InvalidRedirectUri extends InvalidClientMetadata {}

/** RFC 7591 §2: only the code flow and refresh exist for these clients. */
export function checkGrantAndResponseTypes(document: Record<string, unknown>): void {
  const grantTypes = document.grant_types ?? ['authorization_code'];
  if (!isStringList(grantTypes) || grantTypes.some((type) => type !== 'authorization_code' && type !== 'refresh_token')) {
    throw new InvalidClientMetadata('grant_types may only list authorization_code and refresh_token');
  }
  const responseTypes = document.response_types ?? ['code'];
  if (!isStringList(responseTypes) || responseTypes.some((type) => type !== 'code')) throw new InvalidClientMetadata('response_types may only list code');
}

/** RFC 7591 §2 `scope`: the scopes the client may ask for, within those this server knows. */
export function readScope(value: unknown): string[] {
  if (value === undefined) return [...OPENID_SCOPES];
  const scopes = typeof value === 'string' ? parseScope(value) : undefined;
  if (!scopes) throw new InvalidClientMetadata('scope must be a space-separated list of scope tokens');
  const known = scopes.filter((scope) => OPENID_SCOPES.includes(scope));
  if (known.length === 0) throw new InvalidClientMetadata(`scope must name at least one of: ${OPENID_SCOPES.join(' ')}`);
  return known;
}

/** How long a fetched document is reused at least and at most (docs/architecture.md). */
export const METADATA_CACHE_FLOOR_SECONDS = 60;
export const METADATA_CACHE_CEILING_SECONDS = 24 * 60 * 60;
/** Without any caching header. */
export const METADATA_CACHE_DEFAULT_SECONDS = 5 * 60;

/**
 * CIMD Security Considerations ("Metadata Caching"): the server caches the document per its HTTP
 * caching headers (RFC 9111 §5.2.2). `no-store` and `no-cache` mean not at all (0); `max-age` is
 * clamped to [floor, ceiling], so a document cannot make every request refetch it, nor stick for
 * weeks; none gives the default.
 */
export function metadataCacheSeconds(cacheControl: string | null): number {
  const directives = (cacheControl ?? '').toLowerCase().split(',').map((part) => part.trim());
  if (directives.some((directive) => directive === 'no-store' || directive === 'no-cache' || directive.startsWith('no-cache='))) return 0;
  const maxAge = directives.map((directive) => /^max-age=(\d+)$/.exec(directive)?.[1]).find((value) => value !== undefined);
  if (maxAge === undefined) return METADATA_CACHE_DEFAULT_SECONDS;
  return Math.min(METADATA_CACHE_CEILING_SECONDS, Math.max(METADATA_CACHE_FLOOR_SECONDS, Number(maxAge)));
}
