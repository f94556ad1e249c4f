/**
 * Where the client keeps a session's tokens. Synchronous or asynchronous; values are strings.
 * Trade-offs (docs/client-library.md): `localStorage` survives a reload and is shared by the tabs of
 * an origin, but any script that runs on the page (an XSS) can read the refresh token; memory keeps
 * tokens out of reach of storage-reading scripts but loses the session on reload, and other tabs
 * only learn of it through the BroadcastChannel.
 */
export interface TokenStore {
  get(key: string): string | null | undefined | Promise<string | null | undefined>;
  set(key: string, value: string): void | Promise<void>;
  remove(key: string): void | Promise<void>;
}

/** Tokens in this tab's memory only: gone on reload; other tabs hear of changes by BroadcastChannel. */
export function memoryStore(): TokenStore {
  const values = new Map<string, string>();
  return {
    get: (key) => values.get(key),
    set: (key, value) => void values.set(key, value),
    remove: (key) => void values.delete(key),
  };
}

/** Tokens in `window.localStorage`: the session survives a reload and is shared by every tab of the origin. */
export function localStorageStore(storage: Storage = globalThis.localStorage): TokenStore {
  return {
    get: (key) => storage.getItem(key),
    set: (key, value) => storage.setItem(key, value),
    remove: (key) => storage.removeItem(key),
  };
}

/** localStorage where the page may use it (it throws in some privacy modes), memory otherwise. */
export function defaultStore(): TokenStore {
  try {
    const probe = '__latchkey_probe__';
    globalThis.localStorage.setItem(probe, probe);
    globalThis.localStorage.removeItem(probe);
    return localStorageStore();
  } catch {
    return memoryStore();
  }
}
