/**
 * Order of IM calls per order key (a room, a group, a user): every call gets a sequence number
 * when it is queued, and only the oldest undelivered call of its key may be sent. Kept in Redis
 * under one hash tag per key, so each script touches one Redis Cluster slot:
 *
 *   <prefix>im:{<key>}:pending   zset  call id → sequence, calls queued and not yet done
 *   <prefix>im:{<key>}:seq       int   last sequence handed out
 *   <prefix>im:{<key>}:done      zset  call id → time done; a call queued again within a day
 *                                      (a re-run effect) is not sent twice
 */
import type { RedisClient } from '../../redis/connection.js';
import { LuaScript } from '../../redis/lua-script.js';

const DONE_KEPT_MS = 24 * 3600 * 1000;

/** 1: newly queued, 0: queued already, -1: done already (do not queue again). */
const register = new LuaScript(
  'im-order-register',
  `
if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return -1 end
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local n = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], n, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', tonumber(ARGV[2]) - ${DONE_KEPT_MS})
return 1
`,
  3,
);

/** Marks a call done and answers the next call of its key (or false). */
const complete = new LuaScript(
  'im-order-complete',
  `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
local next = redis.call('ZRANGE', KEYS[1], 0, 0)
return next[1]
`,
  3,
);

export type TurnState = 'turn' | 'wait' | 'done';

export function createDeliveryOrder(redis: RedisClient, prefix: string) {
  const keysOf = (orderKey: string) => {
    const tag = `${prefix}im:{${orderKey}}`;
    return [`${tag}:pending`, `${tag}:seq`, `${tag}:done`];
  };
  return {
    /** Queues `callId` behind every call of `orderKey` queued before it. */
    async register(orderKey: string, callId: string): Promise<'queued' | 'known' | 'done'> {
      const result = Number(await register.run(redis, keysOf(orderKey), [callId, Date.now()]));
      return result === 1 ? 'queued' : result === 0 ? 'known' : 'done';
    },
    /** Whether `callId` may be sent now, must wait for an older call, or was done already. */
    async turnOf(orderKey: string, callId: string): Promise<TurnState> {
      const [pending, , done] = keysOf(orderKey) as [string, string, string];
      const [[, doneAt], [, queuedAs], [, head]] = (await redis
        .multi()
        .zscore(done, callId)
        .zscore(pending, callId)
        .zrange(pending, 0, 0)
        .exec()) as [[unknown, string | null], [unknown, string | null], [unknown, string[]]];
      if (doneAt !== null) return 'done';
      // Not queued in order (its key expired meanwhile): nothing to wait for.
      if (queuedAs === null) return 'turn';
      return head[0] === callId ? 'turn' : 'wait';
    },
    /** Marks `callId` done (sent, or given up); answers the call now at the head of its key. */
    async complete(orderKey: string, callId: string): Promise<string | null> {
      const next = await complete.run(redis, keysOf(orderKey), [callId, Date.now()]);
      return typeof next === 'string' ? next : null;
    },
  };
}

export type DeliveryOrder = ReturnType<typeof createDeliveryOrder>;
