import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { authenticateClient } from '../../flows/oauth/client-authentication.js';
import { revokeToken, revokeUserGrant } from '../../flows/oauth/revocation.js';
import { InvalidToken } from '../../protocol/oauth-errors.js';
import { requireParam } from '../../protocol/oauth-params.js';
import type { AppEnv } from '../env.js';
import { readClientCredentials, readOAuthParams } from '../oauth/params.js';

/** POST /v1/auth/oauth/revoke — RFC 7009: 200 for any token, valid or not (§2.2). */
export const oauthRevoke = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const params = await readOAuthParams(c);
  const client = await authenticateClient(deps, readClientCredentials(c, params));
  c.set('application', client.application);
  await revokeToken(deps, client.application, requireParam(params, 'token'));
  return c.json({});
};

/** DELETE /v1/auth/oauth/revoke — SPEC §6.5: every token of this application for the token's user. */
export const oauthRevokeGrant = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const bearer = c.get('bearer');
  if (bearer.payload.client_id !== c.get('application').publishableKey) {
    throw new InvalidToken('this access token was issued to another client');
  }
  await revokeUserGrant(deps, c.get('application'), bearer);
  return c.json({ success: true as const });
};
