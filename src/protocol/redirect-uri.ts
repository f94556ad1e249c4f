/** The http loopback IP literals whose port a native app picks at run time (RFC 8252 §7.3), as written. */
const LOOPBACK_IP_PREFIXES = ['http://127.0.0.1', 'http://[::1]'];

/** `:port` as a browser writes it: 1–65535, no leading zero; then the path, query, or the end. */
const PORT_THEN_PATH = /^(?::([1-9][0-9]{0,4}))?(?=[/?#]|$)/;

/**
 * An http loopback IP literal URI with its port cut out, the rest exactly as written — or undefined
 * when the string does not begin with `http://127.0.0.1` or `http://[::1]` followed by an optional
 * port and the path. No URL parser is involved: WHATWG URL would fold `HTTP:`, `\`, `/../`,
 * `2130706433`, `0x7f.1`, a trailing dot or surrounding whitespace into the registered form.
 */
function withoutLoopbackPort(uri: string): string | undefined {
  const prefix = LOOPBACK_IP_PREFIXES.find((candidate) => uri.startsWith(candidate));
  if (prefix === undefined) return undefined;
  const rest = uri.slice(prefix.length);
  const port = PORT_THEN_PATH.exec(rest);
  if (!port || (port[1] !== undefined && Number(port[1]) > 65535)) return undefined;
  return prefix + rest.slice(port[0].length);
}

/**
 * RFC 6749 §3.1.2.3 / RFC 9700 §4.1.3: exact string comparison with a registered URI — except that
 * for http loopback IP literals the port may differ (RFC 8252 §7.3), and only the port: the rest of
 * the string is compared as sent. `localhost` gets no such exception (RFC 8252 §8.3 discourages it).
 */
export function isRegisteredRedirectUri(registered: readonly string[], candidate: string): boolean {
  if (registered.includes(candidate)) return true;
  const portless = withoutLoopbackPort(candidate);
  return portless !== undefined && registered.some((entry) => withoutLoopbackPort(entry) === portless);
}

/** Adds parameters to a redirect URI's query, keeping the query it already has (RFC 6749 §3.1.2). */
export function withQuery(uri: string, params: Record<string, string | null | undefined>): string {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null) url.searchParams.append(name, value);
  return url.href;
}

/** Schemes a redirect URI may never use: they would run code or read files in the browser. */
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:']);

/**
 * Whether a URI may be registered as a redirect URI: absolute, no fragment (RFC 6749 §3.1.2), not a
 * script-running scheme, and http only for loopback hosts or test applications (SPEC §1). Returns
 * the reason it may not, or undefined.
 */
export function redirectUriProblem(uri: string, environment: 'test' | 'live'): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'is not an absolute URI';
  }
  // Matching is by exact string (RFC 9700 §4.1.3), so what is registered is the form a client sends:
  // the one a URL parser would not rewrite (lower-case scheme and host, no `..`, no default port, …).
  if (url.href !== uri) return `is not in canonical form (register ${url.href})`;
  if (url.hash || uri.includes('#')) return 'must not have a fragment';
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return `must not use the ${url.protocol} scheme`;
  const isLoopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && !isLoopback && environment !== 'test') return 'may use http only for loopback hosts or test applications';
  return undefined;
}
