/** `latchkey/server` (SPEC §11): for Node backends and resource servers. */
export { createLatchkeyServer, type BoundVerifyOptions, type LatchkeyServer, type LatchkeyServerOptions, type ProtectedResource } from './backend.js';
export {
  PROTECTED_RESOURCE_WELL_KNOWN, protectedResourceHandler, protectedResourceMetadata, protectedResourceMetadataUrl,
  type ProtectedResourceMetadata, type ProtectedResourceOptions,
} from './protected-resource.js';
export { verifyAccessToken, type AccessTokenClaims, type AccessTokenKind, type ConsumerAccessTokenClaims, type OAuthAccessTokenClaims, type VerifyAccessTokenOptions } from './verify.js';
export { authenticateBearer, type BearerOptions, type BearerOutcome, type DpopRequest, type MiddlewareOptions } from './bearer.js';
export { memoryReplayCache, verifyDpopProof, type DpopCheck, type DpopReplayCache } from './dpop.js';
export { honoMiddleware, type LatchkeyVariables } from './hono.js';
export { expressMiddleware } from './express.js';
export * from '../shared/errors.js';
export type * from '../shared/wire.js';
export type { FetchLike } from '../shared/http.js';
