// The peer: oidc-provider (9.x), configured as close to Latchkey as it allows — EdDSA (Ed25519) JWT
// access tokens (its resource-indicators feature), opaque refresh tokens rotated on every use, PKCE
// (S256) required, its in-memory adapter, one confidential client (client_secret_basic).
//
// Tokens for the refresh_token and authorization_code scenarios are minted over HTTP by the harness,
// the way a real client gets them: GET /auth → the interaction below (auto-approved) → the code on the
// redirect URI → POST /token. Nothing is minted through the provider's models directly.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

const port = Number(process.env.PORT);
const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'EdDSA', kid: 'peer', use: 'sig' };

/** Latchkey's defaults (src/protocol/lifetimes.ts): OAuth access token 6 h, OAuth refresh token 184 days. */
const ACCESS_TOKEN_TTL = 21600;
const REFRESH_TOKEN_TTL = 15897600;

/**
 * oidc-provider's own in-memory adapter, but on a larger store: its default store is an LRU of 1000
 * entries, which evicts most of the 3000 codes minted for the authorization_code scenario (and their
 * grants) before they are redeemed. Same adapter code, only the capacity differs.
 */
const store = new LRU({ maxSize: 1_000_000 });

const provider = new Provider(`http://127.0.0.1:${port}`, {
  adapter: (model: string) => new MemoryAdapter(model, store),
  clients: [
    {
      client_id: 'bench',
      client_secret: 'bench-secret-0123456789abcdef0123456789',
      grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
      redirect_uris: ['http://127.0.0.1:8080/callback'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'EdDSA',
    },
  ],
  jwks: { keys: [jwk] },
  // offline_access makes oidc-provider issue a refresh token with the code (its default issueRefreshToken)
  // and keeps that token independent of the login session (its default expiresWithSession).
  scopes: ['openid', 'offline_access', 'api'],
  findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
  pkce: { required: () => true }, // S256 is the only method oidc-provider 9 supports
  rotateRefreshToken: true, // Latchkey rotates on every use; oidc-provider's default rotates only late in a token's life
  ttl: {
    // Generous (Latchkey: 60 s) so that the thousands of codes minted before the measured run stay valid.
    AuthorizationCode: 600,
    RefreshToken: REFRESH_TOKEN_TTL,
  },
  features: {
    devInteractions: { enabled: false }, // replaced by autoApprove below
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'https://api.example',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: 'api', accessTokenFormat: 'jwt', accessTokenTTL: ACCESS_TOKEN_TTL, jwt: { sign: { alg: 'EdDSA' } } }),
    },
  },
});

/**
 * The interaction endpoint (oidc-provider's interactions.url, /interaction/:uid): signs in one fixed
 * account and grants what the request asks for, with the provider's own interaction API — the
 * supported replacement for a login and consent page.
 */
async function autoApprove(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { prompt, params, session, grantId } = await provider.interactionDetails(req, res);
  if (prompt.name === 'login') {
    return provider.interactionFinished(req, res, { login: { accountId: 'bench-user' } }, { mergeWithLastSubmission: false });
  }
  const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const { missingOIDCScope, missingResourceScopes } = prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
  for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

const handle = provider.callback();
createServer((req, res) => {
  if (!req.url?.startsWith('/interaction/')) return handle(req, res);
  autoApprove(req, res).catch((error: Error) => {
    res.statusCode = 500;
    res.end(String(error?.stack ?? error));
  });
}).listen(port, () => process.stdout.write('ready\n'));
