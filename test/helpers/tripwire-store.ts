import type { TestServer } from './server.js';

// What PostgreSQL text refuses (U+0000) or silently changes (a lone surrogate becomes U+FFFD).
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function findUnstorable(value: unknown, depth = 0): string | undefined {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? JSON.stringify(value).slice(0, 80) : undefined;
  if (depth > 4 || value === null || typeof value !== 'object') return undefined;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    const found = findUnstorable(item, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Issue 11.3: "invalid text never reaches the database". Wraps every method of the test server's
 * store so that a call carrying U+0000 or a lone surrogate in any argument is recorded and fails —
 * on SQLite too, which would otherwise store it. Returns the list of such calls.
 */
export function installStoreTripwire(server: TestServer): string[] {
  const violations: string[] = [];
  const store = server.server.runtime.deps.store as unknown as Record<string, unknown>;
  for (const [name, method] of Object.entries(store)) {
    if (typeof method !== 'function') continue;
    store[name] = (...args: unknown[]) => {
      const found = findUnstorable(args);
      if (found) {
        violations.push(`${name}(${found})`);
        throw new Error(`store.${name} called with unstorable text ${found}`);
      }
      return (method as (...a: unknown[]) => unknown).apply(store, args);
    };
  }
  return violations;
}

/** Records the arguments of every call to the named store methods (to prove a lookup did not happen). */
export function recordStoreCalls(server: TestServer, names: string[]): unknown[][] {
  const calls: unknown[][] = [];
  const store = server.server.runtime.deps.store as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of names) {
    const method = store[name]!;
    store[name] = (...args: unknown[]) => {
      calls.push(args);
      return method.apply(store, args);
    };
  }
  return calls;
}
