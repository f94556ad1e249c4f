/** Listening on a host and port, with a failure told as one line naming the setting to change (issue 11.12). */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { ListenAddress } from '../config/config.js';
import { StartupError } from '../config/startup-error.js';

/** Which settings a listener's failure names. */
export interface ListenerSettings {
  readonly port: string;
  readonly host: string;
  readonly inUseFix: string;
}

export const PUBLIC_LISTENER: ListenerSettings = {
  port: 'LATCHKEY_PORT',
  host: 'LATCHKEY_HOST',
  inUseFix: 'is Latchkey already running? Stop what listens there, or set LATCHKEY_PORT to a free port',
};
export const ADMIN_LISTENER: ListenerSettings = {
  port: 'LATCHKEY_ADMIN_LISTEN',
  host: 'LATCHKEY_ADMIN_LISTEN',
  inUseFix: 'each instance on one machine needs its own admin port: set LATCHKEY_ADMIN_LISTEN=127.0.0.1:<free port>, or off',
};

/** Listens on `address`; a failure becomes one StartupError naming the setting to change. */
export function listen(fetch: Parameters<typeof serve>[0]['fetch'], address: ListenAddress, settings: ListenerSettings): Promise<ServerType> {
  const where = `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  return new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch, hostname: address.host, port: address.port }, () => resolve(s));
    s.once('error', (error: NodeJS.ErrnoException) => {
      const cause = { cause: error };
      switch (error.code) {
        case 'EADDRINUSE':
          return reject(new StartupError(settings.port, `${where} is already in use; ${settings.inUseFix}`, cause));
        case 'EACCES':
          return reject(new StartupError(settings.port, `not allowed to listen on ${where} (ports below 1024 need privileges); choose a port above 1023`, cause));
        case 'EADDRNOTAVAIL':
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
          return reject(new StartupError(settings.host, `${address.host} is not an address of this machine; use 127.0.0.1, 0.0.0.0 or one of its own addresses`, cause));
        default:
          return reject(new StartupError(settings.port, `cannot listen on ${where}: ${error.message}`, cause));
      }
    });
  });
}

/** The URL a listening server answers on. */
export function urlOf(server: ServerType): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
