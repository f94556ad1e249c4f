import { callApi, trimBaseUrl, type FetchLike } from '../shared/http.js';
import type { ExchangeCodeResponse, ExternalIdentity } from '../shared/wire.js';
import { expressMiddleware } from './express.js';
import { honoMiddleware } from './hono.js';
import { protectedResourceHandler, protectedResourceMetadata, protectedResourceMetadataUrl, type ProtectedResourceMetadata, type ProtectedResourceOptions } from './protected-resource.js';
import type { MiddlewareOptions } from './bearer.js';
import { verifyAccessToken, type AccessTokenClaims, type VerifyAccessTokenOptions } from './verify.js';

export interface LatchkeyServerOptions {
  /** Latchkey's URL as this backend reaches it. */
  baseUrl: string;
  /** The application's secret key `sk_…` (SPEC §1); keep it on the server. */
  secretKey: string;
  /** The issuer tokens name (`LATCHKEY_ISSUER`), when it differs from `baseUrl` (an internal address, say). */
  issuer?: string;
  fetch?: FetchLike;
}

/** Verification options with the issuer and JWKS of this Latchkey filled in. */
export type BoundVerifyOptions = Partial<VerifyAccessTokenOptions> & {
  realm?: string;
  resourceMetadata?: string;
  /** DPoP (RFC 9449 §7, SPEC §13): see MiddlewareOptions and BearerOptions. */
  publicOrigin?: string;
  dpopReplayCache?: MiddlewareOptions['dpopReplayCache'];
  dpopProofWindowSeconds?: number;
};

export interface LatchkeyServer {
  /**
   * SPEC §5.1 (seed 000): mints a one-time exchange code for an identity this backend vouches for;
   * the browser redeems it with `latchkey.exchange(code)`. A 400 throws `ValidationError` with `issues`.
   */
  createExchangeCode(identity: ExternalIdentity): Promise<ExchangeCodeResponse>;
  /** `verifyAccessToken` against this Latchkey. */
  verifyAccessToken(token: string, options?: BoundVerifyOptions): Promise<AccessTokenClaims>;
  honoMiddleware(options?: BoundVerifyOptions): ReturnType<typeof honoMiddleware>;
  expressMiddleware(options?: BoundVerifyOptions): ReturnType<typeof expressMiddleware>;
  /**
   * SPEC §13: an API protected by this Latchkey as an RFC 8707 resource — its RFC 9728 metadata, and
   * verifiers that accept only OAuth access tokens whose `aud` is this resource.
   */
  protectedResource(options: Omit<ProtectedResourceOptions, 'authorizationServers'> & { authorizationServers?: string[] }): ProtectedResource;
}

/** An API as an RFC 8707 / RFC 9728 protected resource of one Latchkey. */
export interface ProtectedResource {
  /** RFC 9728 §2 document. */
  metadata: ProtectedResourceMetadata;
  /** RFC 9728 §3.1: where it is served. */
  metadataUrl: string;
  /** Answers GET at the metadata path; null for every other request. */
  handleMetadataRequest(request: Request): Response | null;
  /** verifyAccessToken requiring `aud` = this resource (OAuth access tokens only). */
  verifyAccessToken(token: string, options?: BoundVerifyOptions): Promise<AccessTokenClaims>;
  /** The middlewares, with the same audience, and `resource_metadata` in their 401 challenges (RFC 9728 §5.1). */
  honoMiddleware(options?: BoundVerifyOptions): ReturnType<typeof honoMiddleware>;
  expressMiddleware(options?: BoundVerifyOptions): ReturnType<typeof expressMiddleware>;
}

/** SPEC §11: the backend's client of Latchkey. */
export function createLatchkeyServer(options: LatchkeyServerOptions): LatchkeyServer {
  const baseUrl = trimBaseUrl(options.baseUrl);
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const bound = (extra: BoundVerifyOptions = {}) => ({ issuer: options.issuer ?? baseUrl, jwksUri: `${baseUrl}/.well-known/jwks.json`, ...extra });
  return {
    createExchangeCode(identity) {
      return callApi<ExchangeCodeResponse>(fetchFn, `${baseUrl}/auth/external/authorize`, {
        headers: { authorization: `Bearer ${options.secretKey}` },
        json: identity,
      });
    },
    verifyAccessToken: (token, extra) => verifyAccessToken(token, bound(extra)),
    honoMiddleware: (extra) => honoMiddleware(bound(extra)),
    expressMiddleware: (extra) => expressMiddleware(bound(extra)),
    protectedResource(resourceOptions) {
      const described = { ...resourceOptions, authorizationServers: resourceOptions.authorizationServers ?? [options.issuer ?? baseUrl] };
      const metadataUrl = protectedResourceMetadataUrl(described.resource);
      // RFC 8707 §2 / RFC 9068 §4: the API accepts only tokens issued for it.
      const forResource = (extra: BoundVerifyOptions = {}) => bound({ audience: described.resource, accept: ['oauth'], resourceMetadata: metadataUrl, ...extra });
      return {
        metadata: protectedResourceMetadata(described),
        metadataUrl,
        handleMetadataRequest: protectedResourceHandler(described),
        verifyAccessToken: (token, extra) => verifyAccessToken(token, forResource(extra)),
        honoMiddleware: (extra) => honoMiddleware(forResource(extra)),
        expressMiddleware: (extra) => expressMiddleware(forResource(extra)),
      };
    },
  };
}
