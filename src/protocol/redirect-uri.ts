/** Loopback IP literals whose port a native app picks at run time (RFC 8252 §7.3). */
const LOOPBACK_IP_HOSTS = new Set(['127.0.0.1', '[::1]']);

function withoutPort(url: URL): string {
  const copy = new URL(url.href);
  copy.port = '';
  return copy.href;
}

/**
 * RFC 6749 §3.1.2.3 / RFC 9700 §4.1.3: exact string comparison with a registered URI — except that
 * for http loopback IP literals the port is ignored (RFC 8252 §7.3). `localhost` gets no such
 * exception (RFC 8252 §8.3 discourages it).
 */
export function isRegisteredRedirectUri(registered: readonly string[], candidate: string): boolean {
  if (registered.includes(candidate)) return true;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' || !LOOPBACK_IP_HOSTS.has(url.hostname)) return false;
  const portless = withoutPort(url);
  return registered.some((entry) => {
    try {
      const registeredUrl = new URL(entry);
      return registeredUrl.protocol === 'http:' && LOOPBACK_IP_HOSTS.has(registeredUrl.hostname) && withoutPort(registeredUrl) === portless;
    } catch {
      return false;
    }
  });
}

/** Adds parameters to a redirect URI's query, keeping the query it already has (RFC 6749 §3.1.2). */
export function withQuery(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.append(name, value);
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
  if (url.hash) return 'must not have a fragment';
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return `must not use the ${url.protocol} scheme`;
  const isLoopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && !isLoopback && environment !== 'test') return 'may use http only for loopback hosts or test applications';
  return undefined;
}
