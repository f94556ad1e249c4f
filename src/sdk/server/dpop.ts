import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from 'jose';

/**
 * RFC 9449 §7 for resource servers (SPEC §13): the checks of a DPoP proof that comes with a
 * DPoP-bound access token. Written against jose alone, like the rest of `latchkey/server`, which
 * shares no code with the server.
 */

/** Asymmetric JWS algorithms a proof may use (RFC 9449 §4.3 check 5), as Latchkey's discovery lists them. */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'];

/**
 * Remembers proof `jti`s so that each proof is accepted once (RFC 9449 §11.1). The default keeps
 * them in this process's memory: enough for one instance; several instances behind one load
 * balancer should pass a shared one (e.g. on Redis, `SET key 1 NX PX ttl`).
 */
export interface DpopReplayCache {
  /** Records `key` until `expiresAtMs`; true when it was not recorded yet (first use). */
  remember(key: string, expiresAtMs: number): boolean | Promise<boolean>;
}

/** The default DpopReplayCache: a Map of jti → expiry, pruned as it is used. */
export function memoryReplayCache(): DpopReplayCache {
  const seen = new Map<string, number>();
  return {
    remember(key, expiresAtMs) {
      const now = Date.now();
      if (seen.size > 1000) for (const [k, expiry] of seen) if (expiry <= now) seen.delete(k);
      const known = seen.get(key);
      if (known !== undefined && known > now) return false;
      seen.set(key, expiresAtMs);
      return true;
    },
  };
}

export interface DpopCheck {
  /** The request's method and its URL as the client called it (query and fragment are ignored). */
  method: string;
  url: string;
  /** The access token the proof must be for (`ath`) and the thumbprint it is bound to (`cnf.jkt`). */
  accessToken: string;
  jkt: string;
  /** How far `iat` may be from now, either way (default 60 s). */
  proofWindowSeconds?: number;
  replayCache: DpopReplayCache;
  currentDate?: Date;
}

/** RFC 9449 §4.2 `ath`: base64url SHA-256 (Web Crypto: this module imports no Node built-in). */
async function sha256Base64url(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)));
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * RFC 9449 §4.3 check 9: `htu` without query and fragment, after RFC 3986 §6.2.2–6.2.3 normalization —
 * the URL parser's (case, default port, dot segments), then percent-encoding (§6.2.2.1–6.2.2.2:
 * unreserved characters decoded, other escapes uppercased). The same rule as the server's
 * (src/protocol/dpop.ts `normalizeHtu`), repeated here because this package imports no server code.
 */
export const htuOf = (value: string): string | undefined => {
  try {
    const url = new URL(value);
    url.search = '';
    url.hash = '';
    return url.href.replace(/%[0-9A-Fa-f]{2}/g, (escape) => {
      const character = String.fromCharCode(Number.parseInt(escape.slice(1), 16));
      return /^[A-Za-z0-9\-._~]$/.test(character) ? character : escape.toUpperCase();
    });
  } catch {
    return undefined;
  }
};

/**
 * RFC 9449 §4.3 and §7.1: verifies `proof` for this request and this token — `typ` `dpop+jwt`, an
 * asymmetric `alg`, signed by the public key in its `jwk` (no private members), `htm`, `htu`
 * (without query and fragment), `iat` within the window, `ath` of the access token, its key's
 * thumbprint equal to the token's `cnf.jkt`, and its `jti` not seen before. Throws an Error saying
 * which check failed.
 */
export async function verifyDpopProof(proof: string, check: DpopCheck): Promise<void> {
  const header = decodeProtectedHeader(proof);
  if (header.typ !== 'dpop+jwt') throw new Error('the DPoP proof\'s typ is not dpop+jwt');
  const jwk = header.jwk as JWK | undefined;
  if (!jwk || ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'].some((member) => member in jwk)) throw new Error('the DPoP proof\'s jwk must be a public key');
  const now = check.currentDate ?? new Date();
  const { payload } = await jwtVerify(proof, EmbeddedJWK, {
    typ: 'dpop+jwt', algorithms: DPOP_ALGORITHMS, currentDate: now, requiredClaims: ['jti', 'htm', 'htu', 'iat'],
  });
  if (payload.htm !== check.method) throw new Error('the DPoP proof\'s htm is not the method of this request');
  const htu = typeof payload.htu === 'string' ? htuOf(payload.htu) : undefined;
  if (htu === undefined || htu !== htuOf(check.url)) throw new Error('the DPoP proof\'s htu is not the URL of this request');
  const window = check.proofWindowSeconds ?? 60;
  if (typeof payload.iat !== 'number' || Math.abs(now.getTime() / 1000 - payload.iat) > window) throw new Error('the DPoP proof\'s iat is too far from now');
  if (payload.ath !== (await sha256Base64url(check.accessToken))) throw new Error('the DPoP proof\'s ath does not match the access token');
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  if (jkt !== check.jkt) throw new Error('the DPoP proof is by another key than the access token\'s');
  if (typeof payload.jti !== 'string' || !(await check.replayCache.remember(`${jkt}.${payload.jti}`, (payload.iat + window) * 1000 + 1))) {
    throw new Error('the DPoP proof was already used (jti)');
  }
}
