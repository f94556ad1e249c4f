import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { redeemAuthorizationCode } from '../../flows/oauth/authorization-code-grant.js';
import { authenticateClient } from '../../flows/oauth/client-authentication.js';
import { issueClientCredentialsToken } from '../../flows/oauth/client-credentials-grant.js';
import { refreshOAuthTokens } from '../../flows/oauth/refresh-token-grant.js';
import { UnsupportedGrantType } from '../../protocol/oauth-errors.js';
import { requireParam } from '../../protocol/oauth-params.js';
import { InvalidDpopProof } from '../../protocol/dpop-errors.js';
import { acceptRequestDpop } from '../dpop.js';
import type { AppEnv } from '../env.js';
import { readClientCredentials, readOAuthRequest } from '../oauth/params.js';

/**
 * POST /v1/auth/oauth/token — SPEC §6.4 / RFC 6749 §3.2: authenticates the client, then runs the
 * grant. Responses carry `Cache-Control: no-store` (RFC 6749 §5.1; set for every API response).
 */
export const oauthToken = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  // RFC 8707 §2: `resource` may repeat (one per token is granted: more is invalid_target).
  const { params, resources } = await readOAuthRequest(c);
  const grantType = requireParam(params, 'grant_type');
  const client = await authenticateClient(deps, readClientCredentials(c, params));
  c.set('application', client.application);
  c.header('Pragma', 'no-cache');
  // RFC 9449 §5, §8: a DPoP proof (with this server's nonce: docs/architecture.md) binds the tokens.
  const dpop = await acceptRequestDpop(deps, c, { requireNonce: true });
  if (!dpop && client.application.requireDpop) throw new InvalidDpopProof('this client must send a DPoP proof with its token requests');
  const dpopJkt = dpop?.jkt;
  switch (grantType) {
    case 'authorization_code':
      return c.json(
        await redeemAuthorizationCode(deps, client.application, {
          code: requireParam(params, 'code'),
          redirectUri: requireParam(params, 'redirect_uri'),
          // Optional here; the code decides whether it must (or must not) be sent (RFC 7636 §4.5, RFC 9700 §4.8.2).
          codeVerifier: params.code_verifier,
          dpopJkt,
          resources,
        }),
      );
    case 'refresh_token':
      return c.json(await refreshOAuthTokens(deps, client.application, { refreshToken: requireParam(params, 'refresh_token'), scope: params.scope, dpopJkt, resources }));
    case 'client_credentials':
      return c.json(await issueClientCredentialsToken(deps, client, { scope: params.scope, dpopJkt, resources }));
    default:
      // RFC 9700 §2.4: no resource-owner password grant; no implicit grant exists at this endpoint.
      throw new UnsupportedGrantType(`grant_type ${grantType} is not supported`);
  }
};
