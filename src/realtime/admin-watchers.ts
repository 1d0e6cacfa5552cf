import type { RedisClient } from '../redis/connection.js';

export interface AdminWatchersOptions {
  redis: RedisClient;
  prefix: string;
  /** Unique per server process. */
  processId: string;
  /** How often a process re-reads whether any process has a panel open (default 1 s). */
  checkEveryMs?: number;
  /** Whether another server process is alive: only then does a first panel wait to be let in. */
  otherProcessesAlive(): Promise<boolean>;
  /** How long a disconnected panel still counts: Socket.IO's recovery window, so a panel that comes back with its session recovered has missed nothing. */
  lingerMs: number;
}

/**
 * Whether an admin panel is open in any process. Every transition's summary for the panel is an
 * XADD to the Socket.IO adapter's stream and a read and decode in every process, worth paying only
 * while someone watches. A process with panel sockets (or one that lost its last within `lingerMs`)
 * keeps its id in one sorted set scored by when that claim runs out, renewing it every check; every
 * process re-reads the set every `checkEveryMs`. A panel that is the first anywhere, while other
 * processes are alive, waits one check period before it is let in, so by the time it loads its data
 * every process is pushing to it.
 */
export function createAdminWatchers(options: AdminWatchersOptions) {
  const { redis, processId, lingerMs } = options;
  const checkEveryMs = options.checkEveryMs ?? 1_000;
  // A claim outlives a few missed renewals (a busy process) but not a dead process for long.
  const claimMs = checkEveryMs * 5;
  const key = `${options.prefix}admin:watchers`;
  let localSockets = 0;
  let lastLocalAt = 0;
  let anywhere = false;
  let timer: NodeJS.Timeout | undefined;

  const claimsHere = () => localSockets > 0 || Date.now() - lastLocalAt < lingerMs;

  async function check(): Promise<void> {
    const now = Date.now();
    if (claimsHere()) await redis.zadd(key, now + claimMs, processId);
    else if (lastLocalAt > 0) {
      lastLocalAt = 0;
      await redis.zrem(key, processId);
    }
    const [, live] = await Promise.all([
      redis.zremrangebyscore(key, '-inf', now),
      redis.zrangebyscore(key, now, '+inf', 'LIMIT', 0, 1),
    ]);
    anywhere = live.length > 0;
  }

  return {
    /** Whether the panel's pushes are worth sending from this process now. */
    watching(): boolean {
      return anywhere || claimsHere();
    },
    /**
     * A panel socket is being let in here: resolves once every process may be assumed to push to
     * it (at once when some panel was already open anywhere).
     */
    async admitting(): Promise<void> {
      lastLocalAt = Date.now();
      const alreadyWatched = anywhere;
      await redis.zadd(key, Date.now() + claimMs, processId);
      if (!alreadyWatched && (await options.otherProcessesAlive()))
        await new Promise((resolve) => setTimeout(resolve, checkEveryMs + 100));
    },
    joined(): void {
      localSockets++;
    },
    left(): void {
      localSockets = Math.max(0, localSockets - 1);
      lastLocalAt = Date.now();
    },
    async start(): Promise<void> {
      if (timer) return;
      await check().catch(() => {});
      timer = setInterval(() => void check().catch(() => {}), checkEveryMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      timer = undefined;
      if (localSockets > 0 || lastLocalAt > 0) await redis.zrem(key, processId).catch(() => {});
    },
  };
}

export type AdminWatchers = ReturnType<typeof createAdminWatchers>;
