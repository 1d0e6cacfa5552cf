import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

export interface PresenceOptions {
  redis: Redis;
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
}

/**
 * Who is online: a connected socket in any live process, or REST activity within the last minute.
 * Socket counts are kept per process (a hash each, listed with heartbeats in a sorted set), so a
 * process that dies takes its connections with it instead of leaving users online forever.
 */
export function createPresence(options: PresenceOptions) {
  const { redis, prefix, processId } = options;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const processStaleMs = options.processStaleMs ?? 15_000;
  const activityWindowMs = options.activityWindowMs ?? 60_000;
  const processesKey = `${prefix}presence:processes`;
  const socketsKey = (process: string) => `${prefix}presence:sockets:${process}`;
  const seenKey = `${prefix}presence:seen`;
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
    await redis
      .multi()
      .zadd(processesKey, Date.now(), processId)
      .pexpire(socketsKey(processId), processStaleMs * 4)
      .zremrangebyscore(processesKey, '-inf', Date.now() - processStaleMs * 4)
      .exec();
  }

  async function socketCount(userId: number): Promise<number> {
    const processes = await liveProcesses();
    if (processes.length === 0) return 0;
    const pipeline = redis.pipeline();
    for (const process of processes) pipeline.hget(socketsKey(process), String(userId));
    const results = (await pipeline.exec()) ?? [];
    return results.reduce((sum, [, value]) => sum + Math.max(0, Number(value ?? 0)), 0);
  }

  return {
    async start(): Promise<void> {
      await heartbeat();
      timer = setInterval(() => void heartbeat().catch(() => {}), heartbeatMs);
      timer.unref();
    },

    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      await redis.multi().zrem(processesKey, processId).del(socketsKey(processId)).exec();
    },

    /** Counts a new socket of the user and marks them active. */
    async socketConnected(userId: number): Promise<void> {
      await redis
        .multi()
        .hincrby(socketsKey(processId), String(userId), 1)
        .zadd(seenKey, Date.now(), String(userId))
        .exec();
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
      await redis.zadd(seenKey, Date.now(), String(userId)).catch((error: unknown) => {
        recentlyTouched.delete(userId);
        throw error;
      });
    },

    async isOnline(userId: number): Promise<boolean> {
      const seen = await redis.zscore(seenKey, String(userId));
      if (seen !== null && Number(seen) >= Date.now() - activityWindowMs) return true;
      return (await socketCount(userId)) > 0;
    },

    /** Every online user id with the time of their last activity, most recent first. */
    async onlineUsers(): Promise<{ userId: number; lastActiveAt: number }[]> {
      const since = Date.now() - activityWindowMs;
      const [recent, processes] = await Promise.all([
        redis.zrangebyscore(seenKey, since, '+inf', 'WITHSCORES'),
        liveProcesses(),
      ]);
      const lastActive = new Map<number, number>();
      for (let i = 0; i < recent.length; i += 2) lastActive.set(Number(recent[i]), Number(recent[i + 1]));
      if (processes.length > 0) {
        const connected = new Set<number>();
        const pipeline = redis.pipeline();
        for (const process of processes) pipeline.hgetall(socketsKey(process));
        for (const [, counts] of (await pipeline.exec()) ?? []) {
          for (const [user, count] of Object.entries((counts ?? {}) as Record<string, string>)) {
            if (Number(count) > 0) connected.add(Number(user));
          }
        }
        const missing = [...connected].filter((user) => !lastActive.has(user));
        if (missing.length > 0) {
          const scores = await redis.zmscore(seenKey, ...missing.map(String));
          missing.forEach((user, index) => {
            lastActive.set(user, Number(scores[index] ?? 0));
          });
        }
      }
      return [...lastActive.entries()]
        .map(([userId, lastActiveAt]) => ({ userId, lastActiveAt }))
        .sort((a, b) => b.lastActiveAt - a.lastActiveAt);
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
