import { LRUCache } from 'lru-cache';
import type { RedisClient } from '../redis/connection.js';

export interface PresenceOptions {
  redis: RedisClient;
  prefix: string;
  /** Unique per server process; its socket counts die with it (its heartbeat stops). */
  processId: string;
  heartbeatMs?: number;
  /** A process whose heartbeat is older than this is considered dead and its sockets gone. */
  processStaleMs?: number;
  /** REST activity within this window counts as online (polling-only clients). */
  activityWindowMs?: number;
  /** A user's REST activity is written at most this often per process (default 5 s). */
  touchEveryMs?: number;
  /** Groups of the activity index (1 on one Redis; more on a cluster, so it spreads over masters). */
  shards?: number;
}

/**
 * Who is online: a connected socket in any live process, or REST activity within the last minute.
 * Socket counts are kept per process (a hash each, listed with heartbeats in a sorted set), so a
 * process that dies takes its connections with it instead of leaving users online forever.
 * Every command touches one key (no MULTI), so all of it works on a Redis Cluster; the activity
 * index is split into `shards` sorted sets by user id, and the list of who is online reads them all.
 */
export function createPresence(options: PresenceOptions) {
  const { redis, prefix, processId } = options;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const processStaleMs = options.processStaleMs ?? 15_000;
  const activityWindowMs = options.activityWindowMs ?? 60_000;
  const processesKey = `${prefix}presence:processes`;
  const socketsKey = (process: string) => `${prefix}presence:sockets:${process}`;
  const shards = Math.max(1, options.shards ?? 1);
  const seenKey = (userId: number) => `${prefix}presence:seen:{${userId % shards}}`;
  const allSeenKeys = Array.from({ length: shards }, (_, shard) => `${prefix}presence:seen:{${shard}}`);
  let timer: NodeJS.Timeout | undefined;
  // Online means "active within the last minute": writing every request of a polling client would
  // be one Redis write per request for a figure that only needs to be seconds fresh.
  const recentlyTouched = new LRUCache<number, true>({
    max: 100_000,
    ttl: Math.max(1, options.touchEveryMs ?? 5_000),
  });

  async function liveProcesses(): Promise<string[]> {
    return redis.zrangebyscore(processesKey, Date.now() - processStaleMs, '+inf');
  }

  async function heartbeat(): Promise<void> {
    const now = Date.now();
    await Promise.all([
      redis.zadd(processesKey, now, processId),
      redis.pexpire(socketsKey(processId), processStaleMs * 4),
      redis.zremrangebyscore(processesKey, '-inf', now - processStaleMs * 4),
    ]);
  }

  async function socketCount(userId: number): Promise<number> {
    const processes = await liveProcesses();
    const counts = await Promise.all(
      processes.map((process) => redis.hget(socketsKey(process), String(userId))),
    );
    return counts.reduce((sum, value) => sum + Math.max(0, Number(value ?? 0)), 0);
  }

  return {
    async start(): Promise<void> {
      await heartbeat();
      timer = setInterval(() => void heartbeat().catch(() => {}), heartbeatMs);
      timer.unref();
    },

    /** The server processes alive now (their heartbeat is fresh), this one included. */
    liveProcesses,
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      await Promise.all([redis.zrem(processesKey, processId), redis.del(socketsKey(processId))]);
    },

    /** Counts a new socket of the user and marks them active. */
    async socketConnected(userId: number): Promise<void> {
      await Promise.all([
        redis.hincrby(socketsKey(processId), String(userId), 1),
        redis.zadd(seenKey(userId), Date.now(), String(userId)),
      ]);
    },

    /** Forgets one socket; answers how many the user still has across all live processes. */
    async socketDisconnected(userId: number): Promise<number> {
      const left = await redis.hincrby(socketsKey(processId), String(userId), -1);
      if (left <= 0) await redis.hdel(socketsKey(processId), String(userId));
      return socketCount(userId);
    },

    /** REST activity: what keeps a polling-only client online. */
    async touch(userId: number): Promise<void> {
      if (recentlyTouched.has(userId)) return;
      recentlyTouched.set(userId, true);
      await redis.zadd(seenKey(userId), Date.now(), String(userId)).catch((error: unknown) => {
        recentlyTouched.delete(userId);
        throw error;
      });
    },

    async isOnline(userId: number): Promise<boolean> {
      const seen = await redis.zscore(seenKey(userId), String(userId));
      if (seen !== null && Number(seen) >= Date.now() - activityWindowMs) return true;
      return (await socketCount(userId)) > 0;
    },

    /** Every online user id with the time of their last activity, most recent first. */
    async onlineUsers(): Promise<{ userId: number; lastActiveAt: number }[]> {
      const since = Date.now() - activityWindowMs;
      const [recentByShard, processes] = await Promise.all([
        Promise.all(allSeenKeys.map((key) => redis.zrangebyscore(key, since, '+inf', 'WITHSCORES'))),
        liveProcesses(),
      ]);
      const lastActive = new Map<number, number>();
      for (const recent of recentByShard)
        for (let i = 0; i < recent.length; i += 2) lastActive.set(Number(recent[i]), Number(recent[i + 1]));
      if (processes.length > 0) {
        const connected = new Set<number>();
        const perProcess = await Promise.all(processes.map((process) => redis.hgetall(socketsKey(process))));
        for (const counts of perProcess) {
          for (const [user, count] of Object.entries(counts)) {
            if (Number(count) > 0) connected.add(Number(user));
          }
        }
        const missing = [...connected].filter((user) => !lastActive.has(user));
        const scores = await Promise.all(missing.map((user) => redis.zscore(seenKey(user), String(user))));
        missing.forEach((user, index) => {
          lastActive.set(user, Number(scores[index] ?? 0));
        });
      }
      return [...lastActive.entries()]
        .map(([userId, lastActiveAt]) => ({ userId, lastActiveAt }))
        .sort((a, b) => b.lastActiveAt - a.lastActiveAt);
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
