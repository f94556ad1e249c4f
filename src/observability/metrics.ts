import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the flows and the HTTP layer count (SPEC §8, issue 6): names and labels in one place. */
export interface Metrics {
  readonly registry: Registry;
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  tokenIssued(kind: 'consumer_access' | 'consumer_refresh' | 'oauth_access' | 'oauth_refresh' | 'login' | 'id_token' | 'exchange_code' | 'authorization_code'): void;
  /** A refresh-token reuse or an authorization-code replay was detected (and answered by revocation). */
  replayDetected(kind: 'refresh_token' | 'authorization_code' | 'dpop_proof'): void;
  rateLimited(limit: string): void;
  observeStore(method: string, seconds: number): void;
}

/** A registry per runtime, so tests and several servers in one process never share counters. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'latchkey_' });
  const requests = new Counter({ name: 'latchkey_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const latency = new Histogram({
    name: 'latchkey_http_request_duration_seconds', help: 'HTTP request latency by route and status', labelNames: ['route', 'method', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry],
  });
  const tokens = new Counter({ name: 'latchkey_tokens_issued_total', help: 'Tokens and codes issued, by kind', labelNames: ['kind'], registers: [registry] });
  const replays = new Counter({ name: 'latchkey_replays_detected_total', help: 'Refresh-token reuse and authorization-code replay detections', labelNames: ['kind'], registers: [registry] });
  const limited = new Counter({ name: 'latchkey_rate_limited_total', help: 'Requests refused with 429, by limit', labelNames: ['limit'], registers: [registry] });
  const store = new Histogram({
    name: 'latchkey_store_operation_duration_seconds', help: 'Store operation latency by method', labelNames: ['method'],
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5], registers: [registry],
  });
  return {
    registry,
    observeRequest(route, method, status, seconds) {
      const labels = { route, method, status: String(status) };
      requests.inc(labels);
      latency.observe(labels, seconds);
    },
    tokenIssued: (kind) => tokens.inc({ kind }),
    replayDetected: (kind) => replays.inc({ kind }),
    rateLimited: (limit) => limited.inc({ limit }),
    observeStore: (method, seconds) => store.observe({ method }, seconds),
  };
}

/**
 * Wraps every method of a store so its latency is observed; the store itself knows nothing of it.
 * Wrapped once, up front (not through a Proxy, whose trap and fresh closure ran on every call).
 */
export function measureStore<T extends object>(store: T, metrics: Metrics): T {
  const measured: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store)) {
    if (typeof value !== 'function') {
      measured[name] = value;
      continue;
    }
    const method = value as (...args: unknown[]) => unknown;
    measured[name] = (...args: unknown[]) => {
      const started = performance.now();
      const result = method.apply(store, args);
      if (result instanceof Promise) return result.finally(() => metrics.observeStore(name, (performance.now() - started) / 1000));
      return result;
    };
  }
  return measured as T;
}
