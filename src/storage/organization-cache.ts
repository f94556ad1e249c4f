import type { Organization, Store } from './store.js';

/**
 * Organizations are read on every token request (their lifetimes, SPEC §4) and change rarely: reads
 * are served from memory for `ttlMs`. A change made through this store clears the cache at once; a
 * change made by another process (the CLI, another instance) is seen within `ttlMs`.
 */
export function cacheOrganizationReads<T extends Store>(store: T, ttlMs: number, now: () => number): T {
  const cache = new Map<string, { organization: Organization | undefined; until: number }>();
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'getOrganization') {
        return async (id: string) => {
          const hit = cache.get(id);
          if (hit && hit.until > now()) return hit.organization;
          const organization = await target.getOrganization(id);
          cache.set(id, { organization, until: now() + ttlMs });
          return organization;
        };
      }
      if (property === 'setOrganizationBranding' || property === 'createOrganization') {
        const method = Reflect.get(target, property, receiver) as (...args: unknown[]) => Promise<unknown>;
        return (...args: unknown[]) => {
          cache.clear();
          return method.apply(target, args);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}
