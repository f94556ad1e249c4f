import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/config.js';
import { createApplication } from '../../src/flows/applications.js';
import { createLogger } from '../../src/observability/logger.js';
import { startServer, type RunningServer, type RuntimeOptions } from '../../src/server.js';
import { TestClock } from './clock.js';
import { createTestDatabase, type EngineName, type TestDatabase } from './engines.js';

export interface TestApp {
  id: string;
  publishableKey: string;
  secretKey: string;
}

export interface TestServer {
  url: string;
  /** The admin listener (`/metrics`, health; SPEC §10) on its own free port. */
  adminUrl: string;
  clock: TestClock;
  server: RunningServer;
  /** Every log line the server wrote, for "no secret in a log line" checks. */
  logLines: string[];
  /** The demo application created at first start. */
  demo: TestApp;
  createApp(options?: { environment?: 'test' | 'live'; organizationId?: string; allowedOrigins?: string[] }): Promise<TestApp>;
  request(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

/** Starts a real Latchkey HTTP server on a loopback port it binds itself (port 0) with a fresh database and a test clock. */

export async function startTestServer(
  engine: EngineName,
  env: Record<string, string> = {},
  options: Pick<RuntimeOptions, 'deliveryTimeouts'> & {
    /** A database another test server uses too (two instances on one store); left for its owner to drop. */
    sharedDatabase?: TestDatabase;
  } = {},
): Promise<TestServer> {
  const { sharedDatabase, ...runtimeOptions } = options;
  const database = sharedDatabase ?? (await createTestDatabase(engine));
  const clock = new TestClock();
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      logLines.push(String(chunk));
      callback();
    },
  });
  const config = loadConfig({
    LATCHKEY_DATABASE_URL: database.url,
    // Port 0: the server binds a free port itself and its issuer names the port bound (never a port
    // freed here and bound later, which another process may take in between).
    LATCHKEY_PORT: '0',
    LATCHKEY_ISSUER: 'http://127.0.0.1:0',
    LATCHKEY_SECRET: 'test-secret-test-secret-test-secret-0123',
    LATCHKEY_LOG_LEVEL: 'debug',
    // A free port of its own: never the fixed 4803, since test files run in parallel.
    LATCHKEY_ADMIN_LISTEN: '127.0.0.1:0',
    ...env,
  });
  const server = await startServer(config, { ...runtimeOptions, clock, logger: createLogger('debug', sink) });
  // A second instance on a shared database finds the demo application made by the first.
  const demo = server.demo ?? { application: (await server.runtime.deps.store.listApplications())[0]!, secretKey: '' };
  const url = server.url;
  return {
    url,
    adminUrl: server.adminUrl ?? '',
    clock,
    server,
    logLines,
    demo: { id: demo.application.id, publishableKey: demo.application.publishableKey, secretKey: demo.secretKey },
    async createApp(options = {}) {
      const { application, secretKey } = await createApplication(server.runtime.deps, {
        organizationId: options.organizationId ?? demo.application.organizationId,
        name: 'Another app',
        type: 'confidential',
        environment: options.environment ?? 'test',
        allowedOrigins: options.allowedOrigins ?? [],
      });
      return { id: application.id, publishableKey: application.publishableKey, secretKey };
    },
    request(path, init = {}) {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
      return fetch(url + path, {
        method: json !== undefined ? 'POST' : 'GET',
        ...rest,
        headers,
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    },
    async close() {
      try {
        await server.close();
      } finally {
        if (!sharedDatabase) await database.drop();
      }
    },
  };
}
