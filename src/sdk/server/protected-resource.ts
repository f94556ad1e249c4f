// RFC 9728 OAuth 2.0 Protected Resource Metadata (SPEC §13): what an API publishes so that a client
// (an MCP client, say) finds the authorization server that issues tokens for it.

/** RFC 9728 §2: the metadata document of a protected resource. */
export interface ProtectedResourceMetadata {
  /** §2: the resource identifier — the `resource` clients ask tokens for (RFC 8707) and the tokens' `aud`. */
  resource: string;
  /** §2: issuers of the authorization servers that issue tokens for it. */
  authorization_servers: string[];
  /** §2: how the token may be presented; Latchkey's verifier reads the `Authorization` header only. */
  bearer_methods_supported: string[];
  scopes_supported?: string[];
  resource_name?: string;
  resource_documentation?: string;
  /** RFC 9068 §2.1 / SPEC §9: Latchkey's access tokens are EdDSA, or RS256 for applications that ask. */
  resource_signing_alg_values_supported?: string[];
}

export interface ProtectedResourceOptions {
  /** The API's resource identifier: an https URL without fragment (RFC 9728 §2; RFC 8707 §2). */
  resource: string;
  /** Issuers of its authorization servers (default: the Latchkey this server talks to). */
  authorizationServers: string[];
  scopesSupported?: string[];
  resourceName?: string;
  resourceDocumentation?: string;
}

/** RFC 9728 §3: the well-known suffix of the metadata document. */
export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/**
 * RFC 9728 §3.1: the metadata URL of `resource` — the well-known suffix goes between the host and
 * the resource's path (`https://api.example/v1` → `https://api.example/.well-known/oauth-protected-resource/v1`).
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}${PROTECTED_RESOURCE_WELL_KNOWN}${path}${url.search}`;
}

/** RFC 9728 §2: the document for `options`. */
export function protectedResourceMetadata(options: ProtectedResourceOptions): ProtectedResourceMetadata {
  return {
    resource: options.resource,
    authorization_servers: options.authorizationServers,
    bearer_methods_supported: ['header'],
    resource_signing_alg_values_supported: ['EdDSA', 'RS256'],
    ...(options.scopesSupported ? { scopes_supported: options.scopesSupported } : {}),
    ...(options.resourceName ? { resource_name: options.resourceName } : {}),
    ...(options.resourceDocumentation ? { resource_documentation: options.resourceDocumentation } : {}),
  };
}

/**
 * A fetch-style handler (hono's `c.req.raw`, Deno, Bun, workers) answering the metadata document at
 * its well-known path (RFC 9728 §3.2: 200 `application/json`); null for any other path, so it can
 * sit in front of the API's own routes.
 */
export function protectedResourceHandler(options: ProtectedResourceOptions): (request: Request) => Response | null {
  const path = new URL(protectedResourceMetadataUrl(options.resource)).pathname;
  const body = JSON.stringify(protectedResourceMetadata(options));
  return (request) => {
    if (request.method !== 'GET' || new URL(request.url).pathname !== path) return null;
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=3600' } });
  };
}
