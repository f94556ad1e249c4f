import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback port that was free a moment ago. Only for redis-server, which cannot bind port 0 and
 * report it: Latchkey's own test servers bind port 0 themselves and report the port they got
 * (startTestServer, startInstance, the README and CLI suites), since a port freed here may be taken
 * by another process before it is bound again. startPrivateRedis retries when that happens.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
