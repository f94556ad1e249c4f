import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { resolveSecret } from './config/secret-file.js';
import type { Config } from './config/config.js';
import { deriveServerKeys } from './crypto/key-encryption.js';
import { createDelivery } from './delivery/delivery.js';
import type { IssuedSecret } from './flows/applications.js';
import { bootstrapIfEmpty } from './flows/bootstrap.js';
import type { FlowDeps } from './flows/deps.js';
import { runHousekeeping } from './flows/housekeeping.js';
import { Keyring } from './flows/keyring.js';
import { createApp } from './http/app.js';
import { createAuditLog } from './observability/audit.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics, measureStore } from './observability/metrics.js';
import { systemClock, type Clock } from './protocol/clock.js';
import { crashAfterConsume } from './storage/fault-point.js';
import { createRateLimits, type RateLimitBackend } from './storage/rate-limits.js';
import { cacheOrganizationReads } from './storage/organization-cache.js';
import { openStore, type SqlStore } from './storage/sql-store.js';

export interface Runtime {
  readonly config: Config;
  readonly deps: FlowDeps;
  readonly store: SqlStore;
  readonly rateLimits: RateLimitBackend;
}

/** Opens the store (migrating it), loads the signing keys and assembles the flows' dependencies. */
export async function createRuntime(
  config: Config,
  options: { clock?: Clock; logger?: Logger; migrate?: boolean; isLongRunning?: boolean } = {},
): Promise<Runtime> {
  const resolved = resolveSecret(config);
  const logger = options.logger ?? createLogger(resolved.logLevel);
  const clock = options.clock ?? systemClock;
  const rawStore = await openStore(resolved.databaseUrl, {
    migrate: options.migrate,
    namedStatements: resolved.usePreparedStatements,
    // A server (not a CLI command) checkpoints SQLite's WAL off its event loop.
    ...(options.isLongRunning
      ? { backgroundCheckpoints: { intervalMs: 250, onError: (message: string) => logger.warn({ err: message }, 'SQLite checkpoint failed') } }
      : {}),
    // Test only (LATCHKEY_TEST_FAULT, config/test-fault.ts): crash inside a redemption's transaction.
    afterConsume: resolved.testFault && crashAfterConsume(resolved.testFault.crashAfterConsume, (message) => logger.warn(message)),
  });
  const metrics = createMetrics();
  // Five seconds: organization lifetimes changed elsewhere apply within that (docs/configuration.md).
  const store = cacheOrganizationReads(measureStore(rawStore, metrics), 5_000, () => Date.now());
  const serverKeys = deriveServerKeys(resolved.secret!);
  const rateLimits = await createRateLimits(resolved.rateLimits, { redisUrl: resolved.redisUrl, failureMode: resolved.redisFailureMode, logger });
  rateLimits.onRejected = (name) => metrics.rateLimited(name);
  const keyring = new Keyring({ store, clock, keyEncryptionKey: serverKeys.keyEncryptionKey, cacheSeconds: resolved.keyCacheSeconds });
  const deps: FlowDeps = {
    store,
    keyring,
    clock,
    logger,
    serverKeys,
    audit: createAuditLog(store, clock, logger),
    issuer: resolved.issuer,
    secretOverlapSeconds: resolved.secretOverlapSeconds,
    delivery: createDelivery({ store, logger, keyEncryptionKey: serverKeys.keyEncryptionKey, now: () => clock.now() }),
    rateLimits,
    passwordHashing: resolved.passwordHashing,
    metrics,
  };
  return { config: resolved, deps, store, rateLimits };
}

export interface RunningServer {
  readonly url: string;
  readonly runtime: Runtime;
  /** The demo application's keys when this start created them (first start only). */
  readonly demo: IssuedSecret | undefined;
  close(): Promise<void>;
}

/** Starts Latchkey: runtime, first-start bootstrap, signing key, HTTP listener. */
export async function startServer(config: Config, options: { clock?: Clock; logger?: Logger } = {}): Promise<RunningServer> {
  const runtime = await createRuntime(config, { ...options, isLongRunning: true });
  const { deps } = runtime;
  await deps.keyring.ensureKey();
  const demo = await bootstrapIfEmpty(deps);
  const drain = createDrain();
  const app = createApp(deps, {
    bodyLimitBytes: runtime.config.bodyLimitBytes,
    jwksMaxAgeSeconds: runtime.config.keyCacheSeconds,
    trustedProxyHops: runtime.config.trustedProxyHops,
    rateLimitHealth: { health: () => runtime.rateLimits.health(), failureMode: runtime.config.redisFailureMode, isDraining: () => drain.isDraining },
  });

  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: (request, env) => drain.track(() => app.fetch(request, env)), hostname: runtime.config.host, port: runtime.config.port }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const stopHousekeeping = scheduleHousekeeping(runtime);
  return {
    url: `http://${host}:${address.port}`,
    runtime,
    demo,
    async close() {
      stopHousekeeping();
      // Graceful (issue 6): stop accepting new connections; answer what arrives on open ones with
      // `Connection: close` and mark the instance not ready; wait for every request in flight (its
      // write included) up to the timeout, then cut what is left; only then close the pools.
      drain.start();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const http = server as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
      http.closeIdleConnections?.();
      await drain.idle(runtime.config.shutdownTimeoutSeconds * 1000);
      http.closeAllConnections?.();
      await closed;
      await runtime.rateLimits.close();
      await runtime.deps.delivery.close();
      await runtime.store.close();
    },
  };
}

/** Counts requests in flight and, once draining, tells clients to close their connections. */
function createDrain() {
  let inFlight = 0;
  let isDraining = false;
  let onIdle: (() => void) | undefined;
  return {
    get isDraining() {
      return isDraining;
    },
    async track(handle: () => Response | Promise<Response>): Promise<Response> {
      inFlight++;
      try {
        const response = await handle();
        if (isDraining) {
          try {
            response.headers.set('Connection', 'close');
          } catch {
            // Immutable headers (a proxied response): the server closes the connection anyway.
          }
        }
        return response;
      } finally {
        inFlight--;
        if (inFlight === 0) onIdle?.();
      }
    },
    start() {
      isDraining = true;
    },
    /** Resolves when no request is in flight, or after `timeoutMs`. */
    idle(timeoutMs: number): Promise<void> {
      if (inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

/** Runs housekeeping every LATCHKEY_HOUSEKEEPING_INTERVAL_SECONDS (first run after a random part of it). */
function scheduleHousekeeping(runtime: Runtime): () => void {
  const intervalMs = runtime.config.housekeepingIntervalSeconds * 1000;
  if (intervalMs === 0) return () => undefined;
  const options = { batchSize: runtime.config.housekeepingBatchSize, maxBatches: 20, leaseMs: Math.max(intervalMs / 2, 30_000) };
  const run = () =>
    runHousekeeping(runtime.deps, options).catch((error: unknown) => runtime.deps.logger.warn({ err: (error as Error).message }, 'housekeeping failed'));
  let interval: NodeJS.Timeout | undefined;
  // Spread instances out so they do not all ask for the lease at the same moment.
  const first = setTimeout(() => {
    void run();
    interval = setInterval(run, intervalMs);
    interval.unref();
  }, Math.floor(Math.random() * intervalMs));
  first.unref();
  return () => {
    clearTimeout(first);
    if (interval) clearInterval(interval);
  };
}
