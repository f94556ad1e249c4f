import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { authenticateClient } from '../../flows/oauth/client-authentication.js';
import { pushAuthorizationRequest } from '../../flows/oauth/pushed-authorization.js';
import { acceptRequestDpop } from '../dpop.js';
import type { AppEnv } from '../env.js';
import { readClientCredentials, readOAuthRequest } from '../oauth/params.js';

/**
 * POST /v1/auth/oauth/par — RFC 9126 §2 pushed authorization request endpoint (SPEC §13). The client
 * authenticates exactly as at the token endpoint (§2: "the same rules for client authentication");
 * 201 `{ request_uri, expires_in }` (§2.2), errors as the token endpoint's (§2.3). A `DPoP` header
 * (RFC 9449 §10.1) binds the authorization code to the proof's key.
 */
export const oauthPushedAuthorization = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const { params, resources } = await readOAuthRequest(c);
  const client = await authenticateClient(deps, readClientCredentials(c, params));
  c.set('application', client.application);
  // RFC 9449 §10.1: a proof here (htu: this endpoint's URL) binds the code to its key. No server
  // nonce is asked for at PAR (docs/architecture.md): the token endpoint asks for one anyway.
  const dpop = await acceptRequestDpop(deps, c, { requireNonce: false });
  return c.json(await pushAuthorizationRequest(deps, client.application, params, resources, dpop?.jkt), 201);
};
