import type { AddressInfo } from 'node:net';
import type { ServerType } from '@hono/node-server';
import { explainDatabaseFailure } from './config/database-failure.js';
import { resolveSecret } from './config/secret-file.js';
import { prepareSqliteDirectory, sqlitePath } from './config/sqlite-directory.js';
import type { Config } from './config/config.js';
import { StartupError } from './config/startup-error.js';
import { deriveServerKeys } from './crypto/key-encryption.js';
import { createDelivery, type DeliveryTimeouts } from './delivery/delivery.js';
import type { IssuedSecret } from './flows/applications.js';
import { bootstrapDemoApplication, ensureDefaultOrganization } from './flows/bootstrap.js';
import type { FlowDeps } from './flows/deps.js';
import { runHousekeeping } from './flows/housekeeping.js';
import { Keyring } from './flows/keyring.js';
import { createAdminApp } from './http/admin-app.js';
import { createApp } from './http/app.js';
import { closeListeners, createDrain, type ClosableServer } from './http/drain.js';
import { ADMIN_LISTENER, PUBLIC_LISTENER, listen, urlOf } from './http/listen.js';
import { createAuditLog } from './observability/audit.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics, measureStore } from './observability/metrics.js';
import { systemClock, type Clock } from './protocol/clock.js';
import { crashAfterConsume } from './storage/fault-point.js';
import { createRateLimits, type RateLimitBackend } from './storage/rate-limits.js';
import { cacheOrganizationReads } from './storage/organization-cache.js';
import { probePostgres } from './storage/probe.js';
import { openStore, type SqlStore } from './storage/sql-store.js';
import { DEFAULT_DOCUMENT_FETCH_LIMITS, createDocumentFetcher } from './net/metadata-document-fetch.js';
import { MetadataDocumentCache } from './flows/oauth/metadata-document-cache.js';

/** What a caller (a test) may supply instead of the defaults: the clock, the log, delivery timeouts. */
export interface RuntimeOptions {
  clock?: Clock;
  logger?: Logger;
  deliveryTimeouts?: DeliveryTimeouts;
}

export interface Runtime {
  readonly config: Config;
  readonly deps: FlowDeps;
  readonly store: SqlStore;
  readonly rateLimits: RateLimitBackend;
}

/** Opens the store (migrating it), loads the signing keys and assembles the flows' dependencies. */
export async function createRuntime(
  config: Config,
  options: RuntimeOptions & { migrate?: boolean; isLongRunning?: boolean } = {},
): Promise<Runtime> {
  const resolved = resolveSecret(config);
  const logger = options.logger ?? createLogger(resolved.logLevel);
  const clock = options.clock ?? systemClock;
  const rawStore = await openCheckedStore(resolved, {
    migrate: options.migrate,
    namedStatements: resolved.usePreparedStatements,
    onIdleClientError: (message: string) => logger.warn({ err: message }, 'a pooled PostgreSQL connection failed; it is replaced on the next query'),
    // A server (not a CLI command) checkpoints SQLite's WAL off its event loop.
    ...(options.isLongRunning
      ? { backgroundCheckpoints: { intervalMs: 250, onError: (message: string) => logger.warn({ err: message }, 'SQLite checkpoint failed') } }
      : {}),
    // Test only (LATCHKEY_TEST_FAULT, config/test-fault.ts): crash inside a redemption's transaction.
    afterConsume: resolved.testFault && crashAfterConsume(resolved.testFault.crashAfterConsume, (message) => logger.warn(message)),
  });
  let rateLimits: RateLimitBackend | undefined;
  try {
    const metrics = createMetrics();
    // Five seconds: organization lifetimes changed elsewhere apply within that (docs/configuration.md).
    const store = cacheOrganizationReads(measureStore(rawStore, metrics), 5_000, () => Date.now());
    const serverKeys = deriveServerKeys(resolved.secret!);
    rateLimits = await createRateLimits(resolved.rateLimits, { redisUrl: resolved.redisUrl, failureMode: resolved.redisFailureMode, logger });
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
      webauthnRpId: resolved.webauthnRpId,
      secretOverlapSeconds: resolved.secretOverlapSeconds,
      delivery: createDelivery({ store, logger, keyEncryptionKey: serverKeys.keyEncryptionKey, now: () => clock.now(), timeouts: options.deliveryTimeouts }),
      rateLimits,
      passwordHashing: resolved.passwordHashing,
      metrics,
      clientRegistration: {
        organizationName: resolved.clientRegistration.organizationName,
        allowInsecureMetadataFetch: resolved.clientRegistration.allowInsecureMetadataFetch,
        resources: resolved.clientRegistration.resources,
        documents: new MetadataDocumentCache(createDocumentFetcher({
          ...DEFAULT_DOCUMENT_FETCH_LIMITS,
          allowInsecure: resolved.clientRegistration.allowInsecureMetadataFetch,
        })),
      },
    };
    // SPEC §1: whichever command touches a new database first leaves `default` there.
    await ensureDefaultOrganization(deps);
    return { config: resolved, deps, store, rateLimits };
  } catch (error) {
    await rateLimits?.close();
    await rawStore.close();
    throw explainStartupFailure(error, resolved);
  }
}

/**
 * Opens (and migrates) the configured store after checking what can be checked first: the SQLite
 * directory, or that PostgreSQL answers within 10 seconds. Failures the operator can fix become one
 * StartupError naming LATCHKEY_DATABASE_URL (issue 11.12).
 */
export async function openCheckedStore(config: Config, options: Parameters<typeof openStore>[1] = {}): Promise<SqlStore> {
  try {
    await checkDatabase(config);
    return await openStore(config.databaseUrl, options);
  } catch (error) {
    throw explainStartupFailure(error, config);
  }
}

/** The SQLite directory exists and is writable, or PostgreSQL answers: checked before opening the store. */
export async function checkDatabase(config: Config): Promise<void> {
  if (sqlitePath(config.databaseUrl) !== undefined) prepareSqliteDirectory(config.databaseUrl);
  else await probePostgres(config.databaseUrl, 10_000);
}

/** A database failure the operator can fix, as a StartupError; anything else unchanged. */
export function explainStartupFailure(error: unknown, config: Config): unknown {
  if (error instanceof StartupError) return error;
  return explainDatabaseFailure(error, config.databaseUrl) ?? error;
}

export interface RunningServer {
  readonly url: string;
  /** The admin listener (`/metrics`, health; SPEC §10), or undefined when LATCHKEY_ADMIN_LISTEN=off. */
  readonly adminUrl: string | undefined;
  readonly runtime: Runtime;
  /** The demo application's keys when this start created them (first start only). */
  readonly demo: IssuedSecret | undefined;
  close(): Promise<void>;
}

/** Starts Latchkey: runtime, the public and the admin listener, signing keys, first-start bootstrap. */
export async function startServer(config: Config, options: RuntimeOptions = {}): Promise<RunningServer> {
  let runtime = await createRuntime(config, { ...options, isLongRunning: true });
  const listening: ServerType[] = [];
  const gate = createGate();
  try {
    const drain = createDrain();
    const rateLimitHealth = { health: () => runtime.rateLimits.health(), failureMode: runtime.config.redisFailureMode, isDraining: () => drain.isDraining };
    // The listener is bound before the app exists, so that an issuer naming port 0 can take the
    // port actually bound; the gate holds every request until the start is complete.
    let handler: (request: Request, env: unknown) => Response | Promise<Response> = () => new Response(null, { status: 503 });
    const serveApp = (fetch: (request: Request, env: unknown) => Response | Promise<Response>) =>
      gate.wrap((request: Request, env: unknown) => drain.track(() => fetch(request, env)));
    // Both ports are taken before the first start creates anything: a port in use must fail the start
    // before the demo application's secret key — shown only once — is made (issue 11.12). Requests
    // that arrive meanwhile wait for the keys.
    const server = await listen(serveApp((request, env) => handler(request, env)), { host: runtime.config.host, port: runtime.config.port }, PUBLIC_LISTENER);
    listening.push(server);
    drain.watch(server);
    runtime = withBoundIssuer(runtime, (server.address() as AddressInfo).port);
    const { deps } = runtime;
    const app = createApp(deps, {
      bodyLimitBytes: runtime.config.bodyLimitBytes,
      jwksMaxAgeSeconds: runtime.config.keyCacheSeconds,
      trustedProxyHops: runtime.config.trustedProxyHops,
      rateLimitHealth,
    });
    handler = app.fetch;
    const { adminListen } = runtime.config;
    let admin: ServerType | undefined;
    if (adminListen) {
      admin = await listen(serveApp(createAdminApp(deps, { rateLimitHealth, bodyLimitBytes: runtime.config.bodyLimitBytes }).fetch), adminListen, ADMIN_LISTENER);
      listening.push(admin);
      drain.watch(admin);
    }
    await deps.keyring.ensureKey();
    const demo = await bootstrapDemoApplication(deps);
    gate.open();
    const stopHousekeeping = scheduleHousekeeping(runtime);
    return {
      url: urlOf(server),
      adminUrl: admin ? urlOf(admin) : undefined,
      runtime,
      demo,
      async close() {
        stopHousekeeping();
        // Graceful (issue 6, 12.2): stop accepting new connections; answer what arrives on open ones
        // with `Connection: close` and mark the instance not ready; wait until every response in flight
        // has been written out to its socket, up to the timeout, then cut what is left; only then
        // close the pools.
        await closeListeners(listening as ClosableServer[], drain, runtime.config.shutdownTimeoutSeconds * 1000);
        await closeRuntime(runtime);
      },
    };
  } catch (error) {
    // A start that fails leaves nothing open behind it, so the process can exit (issue 11.12).
    gate.fail(error);
    for (const s of listening) {
      s.close();
      (s as ClosableServer).closeAllConnections?.();
    }
    await closeRuntime(runtime);
    throw explainStartupFailure(error, runtime.config);
  }
}

/**
 * An issuer whose port is 0 (LATCHKEY_PORT=0 without LATCHKEY_ISSUER, or an issuer written with :0)
 * names the port the public listener was actually bound to: a free port is then never guessed ahead.
 */
function withBoundIssuer(runtime: Runtime, boundPort: number): Runtime {
  const url = new URL(runtime.config.issuer);
  if (url.port !== '0') return runtime;
  url.port = String(boundPort);
  const issuer = url.origin;
  return { ...runtime, config: Object.freeze({ ...runtime.config, issuer }), deps: { ...runtime.deps, issuer } };
}

/** Holds requests until the start is complete (keys loaded); after that, a plain boolean check. */
function createGate() {
  let isOpen = false;
  let open!: () => void;
  let fail!: (error: unknown) => void;
  const opened = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  opened.catch(() => undefined);
  return {
    wrap<F extends (request: Request, env: any) => Response | Promise<Response>>(fetch: F) {
      return ((request: Request, env: unknown) => (isOpen ? fetch(request, env) : opened.then(() => fetch(request, env)))) as F;
    },
    open() {
      isOpen = true;
      open();
    },
    fail,
  };
}

/** Closes what a runtime holds open: Redis, SMTP pools, the store. */
async function closeRuntime(runtime: Runtime): Promise<void> {
  await runtime.rateLimits.close();
  await runtime.deps.delivery.close();
  await runtime.store.close();
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
