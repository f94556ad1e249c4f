import type { Organization, Store } from './store.js';

/**
 * Organizations are read on every token request (their lifetimes, SPEC §4) and change rarely: reads
 * are served from memory for `ttlMs`. A change made through this store clears the cache at once; a
 * change made by another process (the CLI, another instance) is seen within `ttlMs`.
 */
export function cacheOrganizationReads<T extends Store>(store: T, ttlMs: number, now: () => number): T {
  const cache = new Map<string, { organization: Organization | undefined; until: number }>();
  const clearing = <A extends unknown[], R>(method: (...args: A) => Promise<R>) => (...args: A) => {
    cache.clear();
    return method(...args);
  };
  return {
    ...store,
    async getOrganization(id: string) {
      const hit = cache.get(id);
      if (hit && hit.until > now()) return hit.organization;
      const organization = await store.getOrganization(id);
      cache.set(id, { organization, until: now() + ttlMs });
      return organization;
    },
    setOrganizationBranding: clearing(store.setOrganizationBranding),
    createOrganization: clearing(store.createOrganization),
  };
}
