import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../observability/logger.js';
import { RateLimited, ServiceUnavailable } from '../protocol/errors.js';
import type { RateLimitName, RateLimitRule, RateLimits } from '../protocol/rate-limits.js';

const MESSAGES: Record<RateLimitName, string> = {
  otpRequestPerDestination: 'too many codes requested for this address; try again later',
  otpRequestPerIp: 'too many code requests from this network; try again later',
  otpVerifyPerDestination: 'too many verification attempts for this address; try again later',
  guestPerIp: 'too many guest sessions from this network; try again later',
  externalAuthorizePerApplication: 'too many exchange codes for this application; try again later',
  loginPerIp: 'too many sign-in attempts from this network; try again later',
  loginFailuresPerAccount: 'too many failed sign-ins for this account; it is locked for a while',
  secondFactorPerConsumer: 'too many second-factor codes tried for this account; try again later',
  accountChangesPerIp: 'too many changes to sign-in methods from this network; try again later',
  registrationPerIp: 'too many client registrations from this address; try again later',
  metadataDocumentPerIp: 'too many authorization requests with a URL as client_id from this network; try again later',
};

/** What the limits do while Redis is unreachable (LATCHKEY_REDIS_FAILURE_MODE). */
export type RedisFailureMode = 'memory' | 'closed';

export interface RateLimitBackend extends RateLimits {
  /** `memory` (no Redis configured), or whether Redis answers right now. */
  health(): Promise<'memory' | 'ok' | 'unavailable'>;
  /** Called when a request was refused with 429 (for metrics). */
  onRejected?: (name: RateLimitName) => void;
  close(): Promise<void>;
}

/**
 * Rate limits with rate-limiter-flexible: in process memory, or — with a Redis URL — in Redis, so
 * every instance shares the counts (SPEC §8). While Redis is unreachable the limits either fall back
 * to per-instance memory counters (`memory`, the default: keep serving) or refuse with 503
 * (`closed`); the log and /readyz say so.
 */
export async function createRateLimits(
  settings: Readonly<Record<RateLimitName, RateLimitRule>>,
  options: { redisUrl?: string; failureMode?: RedisFailureMode; logger: Logger },
): Promise<RateLimitBackend> {
  const failureMode = options.failureMode ?? 'memory';
  let redis: Redis | undefined;
  // Set by close(): the connection it ends is not an outage (issue 11.14).
  let isClosing = false;
  if (options.redisUrl) {
    // Fail fast while disconnected (no offline queue), keep reconnecting in the background.
    // A Redis that stops answering must not hold requests: commands time out (and count as down).
    // Loaded only when configured: the client is about 13 MB of resident memory (docs/benchmarks.md).
    const { Redis } = await import('ioredis');
    redis = new Redis(options.redisUrl, {
      enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 500, connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    let isDown = false;
    const down = (reason: string) => {
      if (isClosing) return;
      if (!isDown) options.logger.warn({ reason, failureMode }, 'redis unreachable: rate limits are degraded');
      isDown = true;
    };
    redis.on('error', (error) => down(error.message));
    redis.on('close', () => down('connection closed'));
    redis.on('ready', () => {
      if (isDown) options.logger.info('redis is back: rate limits are shared again');
      isDown = false;
    });
  }

  const limiters = new Map<RateLimitName, { limiter: RateLimiterAbstract; rule: RateLimitRule }>();
  for (const [name, rule] of Object.entries(settings) as [RateLimitName, RateLimitRule][]) {
    const memory = new RateLimiterMemory({ keyPrefix: name, points: rule.points, duration: rule.durationSeconds });
    const limiter = redis
      ? new RateLimiterRedis({
          storeClient: redis, keyPrefix: `latchkey:${name}`, points: rule.points, duration: rule.durationSeconds,
          rejectIfRedisNotReady: true, ...(failureMode === 'memory' ? { insuranceLimiter: memory } : {}),
        })
      : memory;
    limiters.set(name, { limiter, rule });
  }

  /** SPEC §3 429 for a refused key; any other failure is Redis being down in the `closed` mode. */
  const refusal = (name: RateLimitName, rule: RateLimitRule, rejection: unknown): Error => {
    if (rejection instanceof RateLimiterRes) {
      backend.onRejected?.(name);
      return new RateLimited(MESSAGES[name], {
        points: rule.points,
        remaining: rejection.remainingPoints,
        retryAfterSeconds: rejection.msBeforeNext / 1000,
        resetAtMs: Date.now() + rejection.msBeforeNext,
      });
    }
    // Only reachable without an insurance limiter: the `closed` failure mode.
    return new ServiceUnavailable('rate limiting is unavailable; try again shortly', { cause: rejection });
  };

  const backend: RateLimitBackend = {
    async consume(name, key) {
      const { limiter, rule } = limiters.get(name)!;
      try {
        await limiter.consume(key);
      } catch (rejection) {
        throw refusal(name, rule, rejection);
      }
    },
    async check(name, key) {
      const { limiter, rule } = limiters.get(name)!;
      let current: RateLimiterRes | null;
      try {
        current = await limiter.get(key);
      } catch (error) {
        throw refusal(name, rule, error);
      }
      if (current && current.consumedPoints >= rule.points) throw refusal(name, rule, current);
    },
    async charge(name, key) {
      const { limiter, rule } = limiters.get(name)!;
      try {
        await limiter.penalty(key, 1);
      } catch (error) {
        throw refusal(name, rule, error);
      }
    },
    async reset(name, key) {
      try {
        await limiters.get(name)!.limiter.delete(key);
      } catch (error) {
        options.logger.warn({ err: (error as Error).message, limit: name }, 'could not reset a rate-limit counter');
      }
    },
    async health() {
      if (!redis) return 'memory';
      if (redis.status !== 'ready') return 'unavailable';
      // Connected is not enough: a Redis that stopped answering keeps its socket open.
      try {
        await redis.ping();
        return 'ok';
      } catch {
        return 'unavailable';
      }
    },
    async close() {
      isClosing = true;
      redis?.disconnect();
    },
  };
  return backend;
}
