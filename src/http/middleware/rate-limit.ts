import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { FlowDeps } from '../../flows/deps.js';
import type { RateLimitName } from '../../protocol/rate-limits.js';
import { isClientIdUrl } from '../../protocol/client-metadata-document.js';
import type { AppEnv } from '../env.js';

/**
 * The client's IP: the socket address, or — behind `trustedProxyHops` proxies — the address that
 * many entries from the right of X-Forwarded-For (the left part is client-controlled).
 */
export function clientIp(c: Context, trustedProxyHops: number): string {
  const socketAddress = getConnInfo(c).remote.address ?? 'unknown';
  if (trustedProxyHops === 0) return socketAddress;
  const forwarded = (c.req.header('x-forwarded-for') ?? '').split(',').map((part) => part.trim()).filter(Boolean);
  return forwarded[forwarded.length - trustedProxyHops] ?? socketAddress;
}

/** Counts the request against `name`, keyed by client IP (SPEC §3 429 on excess). */
export function limitPerIp(deps: FlowDeps, name: RateLimitName, trustedProxyHops: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await deps.rateLimits.consume(name, clientIp(c, trustedProxyHops));
    await next();
  };
}

/** Counts the request against `name`, keyed by the authenticated application. */
export function limitPerApplication(deps: FlowDeps, name: RateLimitName): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await deps.rateLimits.consume(name, c.get('application').id);
    await next();
  };
}

/**
 * Counts an authorization request against `name` per client IP only when its `client_id` (query of
 * a GET, form body of a POST — Hono keeps the body for the handler) is a URL: a Client ID Metadata
 * Document, which may be fetched and saved (SPEC §13). Registered clients' requests pass untouched.
 */
export function limitUrlClientIdsPerIp(deps: FlowDeps, name: RateLimitName, trustedProxyHops: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let clientId = c.req.query('client_id');
    if (clientId === undefined && c.req.method === 'POST' && (c.req.header('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      clientId = new URLSearchParams(await c.req.text()).get('client_id') ?? undefined;
    }
    if (clientId !== undefined && isClientIdUrl(clientId)) await deps.rateLimits.consume(name, clientIp(c, trustedProxyHops));
    await next();
  };
}
