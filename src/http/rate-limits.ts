import type { FastifyRequest } from 'fastify';
import type { RateFamily, RateLimitsPerMinute } from '../config/index.js';
import type { RedisClient } from '../redis/connection.js';

/** Who a request counts against: the user once authenticated, before that the client's address. */
export const rateLimitCaller = (request: FastifyRequest): string =>
  request.user ? `user:${request.user.id}` : `ip:${request.ip}`;

/** A route's `config.rateLimit` for its family: the family's allowance per minute, per caller. */
export function familyRateLimit(family: RateFamily, perMinute: RateLimitsPerMinute) {
  return {
    max: perMinute[family],
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => `${family}:${rateLimitCaller(request)}`,
  };
}

// One fixed window per key: the first hit starts it, later hits only count.
const INCREMENT = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {current, ttl}`;

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/**
 * A @fastify/rate-limit store in Redis whose counters are named by the key alone, not by route
 * (the plugin's own Redis store keeps one counter per route): every route of a family and every
 * process share one allowance per caller.
 */
export function sharedRedisStore(redis: RedisClient, prefix: string) {
  return class SharedRedisStore {
    incr(key: string, callback: Callback, timeWindow: number): void {
      redis.eval(INCREMENT, 1, `${prefix}rate:${key}`, timeWindow).then(
        (result) => {
          const [current, ttl] = result as [number, number];
          callback(null, { current, ttl });
        },
        (error: Error) => callback(error),
      );
    }
    child(): SharedRedisStore {
      return this;
    }
  };
}
