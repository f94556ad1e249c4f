import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { authenticateClient } from '../../flows/oauth/client-authentication.js';
import { pushAuthorizationRequest } from '../../flows/oauth/pushed-authorization.js';
import type { AppEnv } from '../env.js';
import { readClientCredentials, readOAuthRequest } from '../oauth/params.js';

/**
 * POST /v1/auth/oauth/par — RFC 9126 §2 pushed authorization request endpoint (SPEC §13). The client
 * authenticates exactly as at the token endpoint (§2: "the same rules for client authentication");
 * 201 `{ request_uri, expires_in }` (§2.2), errors as the token endpoint's (§2.3).
 */
export const oauthPushedAuthorization = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const { params, resources } = await readOAuthRequest(c);
  const client = await authenticateClient(deps, readClientCredentials(c, params));
  c.set('application', client.application);
  return c.json(await pushAuthorizationRequest(deps, client.application, params, resources), 201);
};
