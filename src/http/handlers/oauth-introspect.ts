import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { authenticateClient } from '../../flows/oauth/client-authentication.js';
import { introspectToken } from '../../flows/oauth/introspection.js';
import { InvalidClient } from '../../protocol/oauth-errors.js';
import { requireParam } from '../../protocol/oauth-params.js';
import type { AppEnv } from '../env.js';
import { readClientCredentials, readOAuthParams } from '../oauth/params.js';

/** POST /v1/auth/oauth/introspect — RFC 7662; the caller must authenticate with its secret (§2.1). */
export const oauthIntrospect = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const params = await readOAuthParams(c);
  const credentials = readClientCredentials(c, params);
  const client = await authenticateClient(deps, credentials);
  // SPEC §6.5: introspection is for confidential clients, authenticated with their secret.
  if (!client.hasSecret || client.application.type !== 'confidential') {
    throw new InvalidClient('introspection is for confidential clients authenticated with their secret key', { usedBasic: credentials.usedBasic });
  }
  c.set('application', client.application);
  return c.json(await introspectToken(deps, client.application, requireParam(params, 'token')));
};
