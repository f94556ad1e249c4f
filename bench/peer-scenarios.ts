// oidc-provider's scenarios: tokens and codes minted through its real authorization endpoint, driven
// over HTTP the way a browser would (bench/servers/oidc-provider-peer.ts auto-approves).
import { basicAuth, chained, codeBody, pkce, poolRequests, redeemForRefreshTokens, REDIRECT_URI, type Code, type Scenario } from './scenario.js';
import type { Server } from './processes.js';

const PEER_BASIC = basicAuth('bench', 'bench-secret-0123456789abcdef0123456789');
const FORM = 'application/x-www-form-urlencoded';

/**
 * The scenarios on one oidc-provider (`target` says which adapter); names match Latchkey's so run.ts
 * can compare them.
 */
export function peerScenarios(server: Server, target: string, connections: number): Scenario[] {
  const form = { authorization: PEER_BASIC, 'content-type': FORM };
  return [
    {
      name: 'oauth client_credentials', target, server,
      options: async () => ({ method: 'POST', path: '/token', headers: form, body: 'grant_type=client_credentials&scope=api' }),
    },
    {
      name: 'oauth refresh_token (chained)', target, server,
      options: async () => {
        const pool = await redeemForRefreshTokens(`${server.url}/token`, PEER_BASIC, await mintPeerCodes(server.url, connections));
        return { requests: chained('/token', (t) => `grant_type=refresh_token&refresh_token=${t}`, FORM, { authorization: PEER_BASIC }, (r) => r.refresh_token, pool) };
      },
    },
    {
      name: 'oauth refresh_token (pool)', target, server, usesPool: true,
      options: async ({ poolSize }) => {
        const started = performance.now();
        const [template] = await redeemForRefreshTokens(`${server.url}/token`, PEER_BASIC, await mintPeerCodes(server.url, 1));
        const tokens = await clonePeer(server.url, { model: 'RefreshToken', id: template!, count: poolSize });
        return poolRequests(tokens, Math.round(performance.now() - started), { method: 'POST', path: '/token', headers: form }, (t) => `grant_type=refresh_token&refresh_token=${t}`, (unused) => destroyPeer(server.url, 'RefreshToken', unused));
      },
    },
    {
      name: 'oauth authorization_code (pool)', target, server, usesPool: true,
      options: async ({ poolSize }) => {
        const started = performance.now();
        const [template] = await mintPeerCodes(server.url, 1);
        const pairs = Array.from({ length: poolSize }, pkce);
        const values = await clonePeer(server.url, { model: 'AuthorizationCode', id: template!.code, count: poolSize, challenges: pairs.map((p) => p.challenge) });
        const codes: Code[] = values.map((code, i) => ({ code, verifier: pairs[i]!.verifier }));
        return poolRequests(codes, Math.round(performance.now() - started), { method: 'POST', path: '/token', headers: form }, codeBody, (unused) => destroyPeer(server.url, 'AuthorizationCode', unused.map((c) => c.code)));
      },
    },
    {
      name: 'oidc userinfo', target, server,
      options: async () => {
        const [code] = await mintPeerCodes(server.url, 1, 'openid profile email');
        const response = await fetch(`${server.url}/token`, { method: 'POST', headers: form, body: codeBody(code!) });
        const body = await response.json();
        if (!body.access_token) throw new Error(`peer: no access token for UserInfo: ${response.status} ${JSON.stringify(body)}`);
        return { method: 'GET', path: '/me', headers: { authorization: `Bearer ${body.access_token}` } };
      },
    },
  ];
}

/** Deletes the clones a run did not use (and their grants), so they do not pile up in the peer's store. */
async function destroyPeer(baseUrl: string, model: string, ids: string[]): Promise<void> {
  const response = await fetch(`${baseUrl}/bench/destroy`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, ids }) });
  if (!response.ok) throw new Error(`peer /bench/destroy: ${response.status} ${await response.text()}`);
}

/** Copies of one credential minted through the real flow (bench/servers/oidc-provider-peer.ts `/bench/clone`). */
async function clonePeer(baseUrl: string, request: { model: string; id: string; count: number; challenges?: string[] }): Promise<string[]> {
  const response = await fetch(`${baseUrl}/bench/clone`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  if (!response.ok) throw new Error(`peer /bench/clone: ${response.status} ${await response.text()}`);
  return response.json();
}

/**
 * Codes from oidc-provider's real authorization endpoint, driven over HTTP like a browser would:
 * GET /auth, then follow the redirects through the peer's auto-approving interaction route
 * (bench/servers/oidc-provider-peer.ts) until the redirect URI carries the code. A few flows run
 * side by side, each with its own cookie jar; a flow's first round signs in, later rounds reuse its
 * `_session` cookie and only consent again.
 */
async function mintPeerCodes(baseUrl: string, count: number, scope = 'offline_access api'): Promise<Code[]> {
  const codes: Code[] = [];
  let inFlight = 0;
  const flow = async (jar: CookieJar) => {
    while (codes.length + inFlight < count) {
      inFlight++;
      try {
        codes.push(await authorizePeer(baseUrl, jar, scope));
      } finally {
        inFlight--;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(50, count) }, () => flow(new Map())));
  return codes;
}

/** One authorization request through to its code. `offline_access` (with prompt=consent, as oidc-provider requires) gets a refresh token issued. */
async function authorizePeer(baseUrl: string, jar: CookieJar, scope: string): Promise<Code> {
  const { verifier, challenge } = pkce();
  const query = new URLSearchParams({
    response_type: 'code', client_id: 'bench', redirect_uri: REDIRECT_URI, state: 'bench-state-1',
    code_challenge: challenge, code_challenge_method: 'S256', scope, prompt: 'consent',
  });
  let location = `${baseUrl}/auth?${query}`;
  for (let hop = 0; hop < 10; hop++) {
    const response = await fetch(location, { redirect: 'manual', headers: { cookie: cookieHeader(jar, location) } });
    keepCookies(jar, response.headers.getSetCookie());
    const next = response.headers.get('location');
    const body = await response.text();
    if (!next) throw new Error(`${location}: ${response.status} ${body}`);
    location = new URL(next, baseUrl).href;
    if (location.startsWith(REDIRECT_URI)) {
      const code = new URL(location).searchParams.get('code');
      if (!code) throw new Error(`authorization failed: ${location}`);
      return { code, verifier };
    }
  }
  throw new Error(`too many redirects, last ${location}`);
}

/** A minimal cookie jar for one sequential flow: cookies by path and name; an empty value deletes one. */
type CookieJar = Map<string, { path: string; pair: string }>;

function keepCookies(jar: CookieJar, setCookies: string[]): void {
  for (const header of setCookies) {
    const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
    const name = pair.slice(0, pair.indexOf('='));
    const path = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
    if (pair.endsWith('=')) jar.delete(`${path} ${name}`);
    else jar.set(`${path} ${name}`, { path, pair });
  }
}

function cookieHeader(jar: CookieJar, url: string): string {
  const { pathname } = new URL(url);
  return [...jar.values()].filter(({ path }) => pathname.startsWith(path)).map(({ pair }) => pair).join('; ');
}
