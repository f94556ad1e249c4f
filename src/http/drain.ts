import type { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';

/**
 * Graceful shutdown's bookkeeping (issue 12.2). A request counts as in flight from the moment Node
 * hands it to the server until its response has been written out to the socket (the response's
 * `close`, which follows `finish`) — not until the handler returned a Response object: the body is
 * written after that, and cutting connections then loses an answer whose writes were already
 * committed.
 */
export interface Drain {
  readonly isDraining: boolean;
  /** Counts every request of `server` until its response is written out (or its socket closes). */
  watch(server: EventEmitter): void;
  /** Runs a handler; once draining, its response asks the client to close the connection. */
  track(handle: () => Response | Promise<Response>): Promise<Response>;
  /** From now on responses carry `Connection: close` and the instance reports not ready. */
  start(): void;
  /** Resolves when no response is being produced or written, or after `timeoutMs`. */
  idle(timeoutMs: number): Promise<void>;
}

export function createDrain(): Drain {
  let inFlight = 0;
  let isDraining = false;
  const waiters = new Set<() => void>();
  const done = () => {
    inFlight--;
    if (inFlight === 0) for (const wake of waiters) wake();
  };
  return {
    get isDraining() {
      return isDraining;
    },
    watch(server) {
      server.on('request', (_request: unknown, response: ServerResponse) => {
        inFlight++;
        // `close` fires once: after the last byte was handed to the socket, or when the socket died.
        response.once('close', done);
      });
    },
    async track(handle) {
      const response = await handle();
      if (isDraining) {
        try {
          response.headers.set('Connection', 'close');
        } catch {
          // Immutable headers (a proxied response): the server closes the connection anyway.
        }
      }
      return response;
    },
    start() {
      isDraining = true;
    },
    idle(timeoutMs) {
      if (inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, timeoutMs);
        waiters.add(wake);
      });
    },
  };
}

/** What graceful shutdown needs of a listening server (node's http.Server has all of it). */
export interface ClosableServer {
  close(callback: () => void): unknown;
  closeIdleConnections?: () => void;
  closeAllConnections?: () => void;
}

/**
 * Stops the listeners gracefully: no new connections, idle keep-alive connections closed now, and
 * connections with a response in flight closed once it has been written out — or cut after
 * `timeoutMs` (LATCHKEY_SHUTDOWN_TIMEOUT_SECONDS).
 */
export async function closeListeners(servers: readonly ClosableServer[], drain: Drain, timeoutMs: number): Promise<void> {
  drain.start();
  const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  for (const s of servers) s.closeIdleConnections?.();
  await drain.idle(timeoutMs);
  for (const s of servers) s.closeAllConnections?.();
  await closed;
}
