/**
 * Where the client keeps a session's tokens. Synchronous or asynchronous; values are strings.
 * Trade-offs (docs/client-library.md): IndexedDB and `localStorage` survive a reload and are shared
 * by the tabs of an origin, but any script that runs on the page (an XSS) can read the refresh token;
 * memory keeps tokens out of reach of storage-reading scripts but loses the session on reload, and
 * other tabs only learn of it through the BroadcastChannel.
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

/**
 * Tokens in IndexedDB (database `latchkey`, object store `tokens`). Unlike `localStorage`, whose
 * copies in other tabs' processes are updated asynchronously, a committed IndexedDB write is seen by
 * every later read in any tab — which is what lets a tab that waited for the refresh lock see the
 * tokens the previous holder just stored (issue 16).
 */
export function indexedDbStore(databaseName = 'latchkey'): TokenStore {
  let opening: Promise<IDBDatabase> | undefined;
  const open = () =>
    (opening ??= new Promise((resolve, reject) => {
      const request = indexedDB.open(databaseName, 1);
      request.onupgradeneeded = () => request.result.createObjectStore('tokens');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    }));
  // Resolves once the transaction has committed, so the write is visible before the lock is released.
  const run = async <T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const transaction = (await open()).transaction('tokens', mode);
    const request = action(transaction.objectStore('tokens'));
    return new Promise((resolve, reject) => {
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = transaction.onabort = () => reject(transaction.error);
    });
  };
  return {
    get: (key) => run('readonly', (store) => store.get(key) as IDBRequest<string | undefined>),
    set: async (key, value) => void (await run('readwrite', (store) => store.put(value, key))),
    remove: async (key) => void (await run('readwrite', (store) => store.delete(key))),
  };
}

/** Whether `localStorage` may be used (it throws in some privacy modes). */
function hasLocalStorage(): boolean {
  try {
    const probe = '__latchkey_probe__';
    globalThis.localStorage.setItem(probe, probe);
    globalThis.localStorage.removeItem(probe);
    return true;
  } catch {
    return false;
  }
}

/**
 * IndexedDB where the browser has it; if it cannot be opened (some private modes), `localStorage`,
 * else memory.
 */
export function defaultStore(): TokenStore {
  const fallback = () => (hasLocalStorage() ? localStorageStore() : memoryStore());
  if (typeof indexedDB === 'undefined') return fallback();
  const primary = indexedDbStore();
  let chosen: Promise<TokenStore> | undefined;
  const store = () =>
    (chosen ??= Promise.resolve(primary.get('__latchkey_probe__')).then(() => primary, fallback));
  return {
    get: async (key) => (await store()).get(key),
    set: async (key, value) => (await store()).set(key, value),
    remove: async (key) => (await store()).remove(key),
  };
}
