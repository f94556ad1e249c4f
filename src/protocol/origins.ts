const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The serialized origin of a URL string (`scheme://host[:port]`), or undefined if it is not one. */
export function parseOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin === value ? value : undefined;
  } catch {
    return undefined;
  }
}

/** True for http(s) origins on a loopback host (any port). */
export function isLoopbackOrigin(origin: string): boolean {
  try {
    return LOOPBACK_HOSTS.has(new URL(origin).hostname);
  } catch {
    return false;
  }
}

/** What the CORS rule reads of an application (a pure rule: no storage type here, STYLE §5). */
export interface OriginPolicy {
  readonly allowedOrigins: readonly string[];
  readonly environment: 'test' | 'live';
}

/**
 * SPEC §2 CORS: an application answers the origins it lists (exact match); a `test` application
 * also answers any loopback origin, a `live` one none by default.
 */
export function isOriginAllowed(application: OriginPolicy, origin: string): boolean {
  if (application.allowedOrigins.includes(origin)) return true;
  return application.environment === 'test' && isLoopbackOrigin(origin);
}
