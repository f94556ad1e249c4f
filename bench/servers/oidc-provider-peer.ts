// The peer: oidc-provider (9.x), configured as close to Latchkey as it allows — EdDSA (Ed25519) JWT
// access tokens (its resource-indicators feature), opaque refresh tokens rotated on every use, PKCE
// (S256) required, its in-memory adapter — or, with PEER_ADAPTER=redis, a Redis adapter (the persistent
// peer row) — one confidential client (client_secret_basic).
//
// Tokens for the refresh_token and authorization_code scenarios are minted over HTTP by the harness,
// the way a real client gets them: GET /auth → the interaction below (auto-approved) → the code on the
// redirect URI → POST /token. The large pools of the pool scenarios are cloned from such a credential
// by POST /bench/clone below, through the provider's adapter, the way bench/store-seeder.ts clones
// Latchkey's rows: same payload, new token value (and a grant of its own, as a real client has).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { redisAdapterFactory } from './redis-adapter.js';

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
const redis = process.env.PEER_ADAPTER === 'redis' ? redisAdapterFactory(process.env.PEER_REDIS_URL ?? 'redis://127.0.0.1:6379', process.env.PEER_REDIS_PREFIX ?? 'latchkey-bench:peer:') : undefined;
const adapterFor = redis ? redis.adapter : (model: string) => new MemoryAdapter(model, store);

/** The claims UserInfo (`/me`) returns, like the bench user's on Latchkey (a name and an email address). */
const accountClaims = (sub: string) => ({ sub, name: 'Bench User', given_name: 'Bench', family_name: 'User', email: 'bench@example.com', email_verified: true });

const provider = new Provider(`http://127.0.0.1:${port}`, {
  adapter: adapterFor,
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
  scopes: ['openid', 'offline_access', 'api', 'profile', 'email'],
  claims: { openid: ['sub'], profile: ['name', 'given_name', 'family_name'], email: ['email', 'email_verified'] },
  findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => accountClaims(sub) }),
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
      // The API for requests that ask for its scope (and client_credentials); none for the UserInfo
      // flow (`openid profile email`), whose opaque access token is then for /me.
      defaultResource: (ctx: any) => (String(ctx.oidc.params?.scope ?? 'api').split(' ').includes('api') ? 'https://api.example' : undefined),
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

/**
 * POST /bench/clone {model, id, count, challenges?}: `count` copies of the stored RefreshToken or
 * AuthorizationCode `id` (minted through the real flow), each with a new 256-bit value like the
 * provider's own (43 base64url characters) and its own copy of the grant; codes take the PKCE
 * challenges given, one each. Answers the new values. Not part of any measured request.
 */
async function clone(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let raw = '';
  for await (const chunk of req) raw += String(chunk);
  const { model, id, count, challenges } = JSON.parse(raw) as { model: 'RefreshToken' | 'AuthorizationCode'; id: string; count: number; challenges?: string[] };
  const tokens = adapterFor(model);
  const grants = adapterFor('Grant');
  const template = await tokens.find(id);
  if (!template) throw new Error(`no ${model} ${id}`);
  const grant = await grants.find(template.grantId);
  const now = Math.floor(Date.now() / 1000);
  const values: string[] = [];
  const one = async (i: number) => {
    const value = randomBytes(32).toString('base64url');
    const grantId = randomBytes(16).toString('base64url');
    await grants.upsert(grantId, { ...grant, jti: grantId }, grant.exp ? grant.exp - now : undefined);
    const { consumed: _consumed, ...payload } = template;
    await tokens.upsert(value, { ...payload, jti: value, grantId, iat: now, ...(challenges ? { codeChallenge: challenges[i] } : {}) }, template.exp - now);
    values.push(value);
  };
  for (let i = 0; i < count; i += 500) await Promise.all(Array.from({ length: Math.min(500, count - i) }, (_, j) => one(i + j)));
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(values));
}

/** POST /bench/destroy {model, ids}: deletes clones a run did not use, and their grants. */
async function destroy(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let raw = '';
  for await (const chunk of req) raw += String(chunk);
  const { model, ids } = JSON.parse(raw) as { model: 'RefreshToken' | 'AuthorizationCode'; ids: string[] };
  const tokens = adapterFor(model);
  const grants = adapterFor('Grant');
  const one = async (id: string) => {
    const payload = await tokens.find(id);
    await tokens.destroy(id);
    if (payload?.grantId) await grants.destroy(payload.grantId);
  };
  for (let i = 0; i < ids.length; i += 500) await Promise.all(ids.slice(i, i + 500).map(one));
  res.end();
}

const handle = provider.callback();
createServer((req, res) => {
  const bench = req.method === 'POST' ? ({ '/bench/clone': clone, '/bench/destroy': destroy } as Record<string, typeof clone>)[req.url ?? ''] : undefined;
  const route = req.url?.startsWith('/interaction/') ? autoApprove : bench;
  if (!route) return handle(req, res);
  route(req, res).catch((error: Error) => {
    res.statusCode = 500;
    res.end(String(error?.stack ?? error));
  });
}).listen(port, () => process.stdout.write('ready\n'));
process.once('SIGTERM', () => {
  void redis?.quit();
  process.exit(0);
});
