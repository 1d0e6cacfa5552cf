import { getMany, isCluster, type RedisClient } from '../redis/connection.js';
import { LuaScript } from '../redis/lua-script.js';

const claimBoth = new LuaScript(
  'claimBoth',
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('GET', KEYS[1]) end
if redis.call('EXISTS', KEYS[2]) == 1 then return redis.call('GET', KEYS[2]) end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[4], '1', 'PX', ARGV[3])
return false
`,
  4,
);

const releaseSource = `
local released = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key); released = released + 1 end
end
return released
`;
const releaseBothIfOwned = new LuaScript('releaseIfOwned', releaseSource, 2);
/** The same for one key: on a cluster each party's key is in its own slot. */
const releaseIfOwned = new LuaScript('releaseIfOwned', releaseSource, 1);

/**
 * Which call each user is in (the "busy" marker, claimed for both parties so a user is never in two
 * calls) and the latest call of each anchor–guest pair (what `getMatchInfo` and the hang-up
 * endpoints, which name only the other party, look up).
 *
 * On one Redis the claim is one script over both parties' keys. On a Redis Cluster the parties'
 * keys live in different slots, so each party is claimed with its own SET NX, lower user id first
 * (two claims racing for the same two users cannot each hold one and refuse the other), and undone
 * when the second is taken. A process dying between the two leaves one marker of a call that never
 * came to be; the caller treats a marker whose machine is missing and whose creation window is over
 * as stale and releases it (calls.service.ts `claimParties`).
 */
export function createCallIndex(
  redis: RedisClient,
  prefix: string,
  pairTtlMs = 6 * 60 * 60 * 1000,
  creationWindowMs = 10_000,
) {
  const userKey = (userId: number) => `${prefix}call:user:${userId}`;
  const pairKey = (anchorId: number, guestId: number) => `${prefix}call:pair:${anchorId}:${guestId}`;
  // Set with the claim and short-lived: while it exists, a claim whose machine is not there yet is
  // a call being created right now, not a leftover of a crash.
  const creatingKey = (callId: string) => `${prefix}call:creating:${callId}`;

  const cluster = isCluster(redis);

  async function claimOneByOne(
    callId: string,
    guestId: number,
    anchorId: number,
    attempt = 1,
  ): Promise<string | null> {
    await redis.set(creatingKey(callId), '1', 'PX', creationWindowMs);
    const taken: number[] = [];
    for (const userId of [...new Set([guestId, anchorId])].sort((a, b) => a - b)) {
      if ((await redis.set(userKey(userId), callId, 'NX')) === 'OK') {
        taken.push(userId);
        continue;
      }
      const holder = await redis.get(userKey(userId));
      await Promise.all(taken.map((user) => releaseIfOwned.run(redis, [userKey(user)], [callId])));
      // Freed between the SET and the GET: claim again.
      if (holder === null && attempt < 5) return claimOneByOne(callId, guestId, anchorId, attempt + 1);
      return holder ?? callId;
    }
    await redis.set(pairKey(anchorId, guestId), callId, 'PX', pairTtlMs);
    return null;
  }

  return {
    /** Claims both parties for callId; answers the call id that already holds one of them, or null. */
    async claim(callId: string, guestId: number, anchorId: number): Promise<string | null> {
      if (cluster) return claimOneByOne(callId, guestId, anchorId);
      const holder = await claimBoth.run(
        redis,
        [userKey(guestId), userKey(anchorId), pairKey(anchorId, guestId), creatingKey(callId)],
        [callId, pairTtlMs, creationWindowMs],
      );
      return typeof holder === 'string' ? holder : null;
    },

    /** Frees the parties, but only from this call (a newer call that claimed them stays). */
    async release(callId: string, guestId: number, anchorId: number): Promise<void> {
      if (cluster) {
        await Promise.all(
          [guestId, anchorId].map((userId) => releaseIfOwned.run(redis, [userKey(userId)], [callId])),
        );
        return;
      }
      await releaseBothIfOwned.run(redis, [userKey(guestId), userKey(anchorId)], [callId]);
    },

    /** True while the claim of callId is young enough that its machine may still be on its way. */
    async isBeingCreated(callId: string): Promise<boolean> {
      return (await redis.exists(creatingKey(callId))) === 1;
    },

    async activeCallOf(userId: number): Promise<string | null> {
      return redis.get(userKey(userId));
    },

    async activeCallsOf(userIds: number[]): Promise<Map<number, string>> {
      if (userIds.length === 0) return new Map();
      const values = await getMany(redis, userIds.map(userKey));
      const active = new Map<number, string>();
      userIds.forEach((userId, index) => {
        const callId = values[index];
        if (callId) active.set(userId, callId);
      });
      return active;
    },

    async latestCallOfPair(anchorId: number, guestId: number): Promise<string | null> {
      return redis.get(pairKey(anchorId, guestId));
    },
  };
}

export type CallIndex = ReturnType<typeof createCallIndex>;
