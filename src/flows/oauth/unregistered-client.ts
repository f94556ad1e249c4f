import { generateId } from '../../crypto/random.js';
import type { Application, Environment } from '../../storage/store.js';

/**
 * SPEC §13: the application row of a client nobody registered by hand — a Client ID Metadata
 * Document URL or a Dynamic Client Registration — public and PKCE-only: no secret, never
 * first-party (consent is always asked), no logo or colour (an unverified client could borrow
 * another's; the consent page says unverified), no CORS origins (hosted pages only), and none of the
 * per-application requirements an operator sets. Its resources are the operator's list for all such
 * clients (LATCHKEY_CLIENT_REGISTRATION_RESOURCES), read at authorization time, so none are stored.
 */
export function unregisteredClient(
  input: {
    organizationId: string; environment: Environment; publishableKey: string; registration: 'metadata_document' | 'dynamic';
    name: string; redirectUris: string[]; allowedScopes: string[];
  },
  now: number,
): Application {
  return {
    id: generateId('app_', now),
    organizationId: input.organizationId,
    name: input.name,
    publishableKey: input.publishableKey,
    environment: input.environment,
    type: 'public',
    redirectUris: input.redirectUris,
    allowedScopes: input.allowedScopes,
    allowedOrigins: [],
    logoUrl: null,
    accentColor: null,
    isFirstParty: false,
    pkcePolicy: 'required',
    postLogoutRedirectUris: [],
    accessTokenAlg: 'EdDSA',
    passkeyOrigins: [],
    requirePushedAuthorizationRequests: false,
    resources: [],
    requireDpop: false,
    createdAt: now,
    disabledAt: null,
    registration: input.registration,
  };
}
