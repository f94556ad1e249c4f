// oidc-provider's scenarios: tokens and codes minted through its real authorization endpoint, driven
// over HTTP the way a browser would (bench/servers/oidc-provider-peer.ts auto-approves).
import { basicAuth, chained, pkce, redeemEachOnce, redeemForRefreshTokens, REDIRECT_URI, type Code, type Scenario } from './scenario.js';
import type { Server } from './processes.js';

const PEER_BASIC = basicAuth('bench', 'bench-secret-0123456789abcdef0123456789');

/** The scenarios on oidc-provider; names match Latchkey's so run.ts can compare them. */
export function peerScenarios(server: Server, connections: number): Scenario[] {
  const form = { authorization: PEER_BASIC, 'content-type': 'application/x-www-form-urlencoded' };
  return [
    {
      name: 'oauth client_credentials', target: 'oidc-provider', server,
      options: async () => ({ method: 'POST', path: '/token', headers: form, body: 'grant_type=client_credentials&scope=api' }),
    },
    {
      name: 'oauth refresh_token', target: 'oidc-provider', server,
      options: async () => {
        const pool = await redeemForRefreshTokens(`${server.url}/token`, PEER_BASIC, await mintPeerCodes(server.url, connections));
        return { requests: chained('/token', (t) => `grant_type=refresh_token&refresh_token=${t}`, 'application/x-www-form-urlencoded', { authorization: PEER_BASIC }, (r) => r.refresh_token, pool) };
      },
    },
    {
      name: 'oauth authorization_code', target: 'oidc-provider', server,
      options: async () => redeemEachOnce('/token', PEER_BASIC, await mintPeerCodes(server.url, 3000)),
    },
  ];
}

/**
 * Codes from oidc-provider's real authorization endpoint, driven over HTTP like a browser would:
 * GET /auth, then follow the redirects through the peer's auto-approving interaction route
 * (bench/servers/oidc-provider-peer.ts) until the redirect URI carries the code. A few flows run
 * side by side, each with its own cookie jar; a flow's first round signs in, later rounds reuse its
 * `_session` cookie and only consent again.
 */
async function mintPeerCodes(baseUrl: string, count: number): Promise<Code[]> {
  const codes: Code[] = [];
  let inFlight = 0;
  const flow = async (jar: CookieJar) => {
    while (codes.length + inFlight < count) {
      inFlight++;
      try {
        codes.push(await authorizePeer(baseUrl, jar));
      } finally {
        inFlight--;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(50, count) }, () => flow(new Map())));
  return codes;
}

/** One authorization request through to its code. `offline_access` (with prompt=consent, as oidc-provider requires) gets a refresh token issued. */
async function authorizePeer(baseUrl: string, jar: CookieJar): Promise<Code> {
  const { verifier, challenge } = pkce();
  const query = new URLSearchParams({
    response_type: 'code', client_id: 'bench', redirect_uri: REDIRECT_URI, state: 'bench-state-1',
    code_challenge: challenge, code_challenge_method: 'S256', scope: 'offline_access api', prompt: 'consent',
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
