import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimited } from '../protocol/errors.js';
import type { RateLimitName, RateLimitRule, RateLimits } from '../protocol/rate-limits.js';

const MESSAGES: Record<RateLimitName, string> = {
  otpRequestPerDestination: 'too many codes requested for this address; try again later',
  otpRequestPerIp: 'too many code requests from this network; try again later',
  otpVerifyPerDestination: 'too many verification attempts for this address; try again later',
  guestPerIp: 'too many guest sessions from this network; try again later',
  externalAuthorizePerApplication: 'too many exchange codes for this application; try again later',
  loginPerIp: 'too many sign-in attempts from this network; try again later',
  loginFailuresPerAccount: 'too many failed sign-ins for this account; it is locked for a while',
};

/**
 * In-process limits (rate-limiter-flexible's memory store). Each instance counts on its own; the
 * Redis store that shares counts between instances comes with the scale-out work.
 */
export function createMemoryRateLimits(settings: Readonly<Record<RateLimitName, RateLimitRule>>): RateLimits {
  const limiters = new Map<RateLimitName, { limiter: RateLimiterAbstract; rule: RateLimitRule }>();
  for (const [name, rule] of Object.entries(settings) as [RateLimitName, RateLimitRule][]) {
    limiters.set(name, { rule, limiter: new RateLimiterMemory({ keyPrefix: name, points: rule.points, duration: rule.durationSeconds }) });
  }
  const refuse = (name: RateLimitName, rule: RateLimitRule, msBeforeNext: number, remaining: number) =>
    new RateLimited(MESSAGES[name], {
      points: rule.points,
      remaining,
      retryAfterSeconds: msBeforeNext / 1000,
      resetAtMs: Date.now() + msBeforeNext,
    });

  return {
    async consume(name, key) {
      const { limiter, rule } = limiters.get(name)!;
      try {
        await limiter.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        throw refuse(name, rule, rejection.msBeforeNext, rejection.remainingPoints);
      }
    },
    async reset(name, key) {
      await limiters.get(name)!.limiter.delete(key);
    },
  };
}
