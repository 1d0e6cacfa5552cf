import type { RedisClient } from '../redis/connection.js';
import { LuaScript } from '../redis/lua-script.js';

const deleteIfEquals = new LuaScript(
  'deleteIfEquals',
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
  1,
);

/**
 * Which live room each user is in (matchmaker or member), so a login, a ban or a socket event can
 * find it, and the matchmaker's open room, so she has at most one.
 */
export function createRoomIndex(redis: RedisClient, prefix: string) {
  const userKey = (userId: number) => `${prefix}room:user:${userId}`;
  return {
    async activeRoomOf(userId: number): Promise<string | null> {
      return redis.get(userKey(userId));
    },
    async join(userId: number, roomId: string): Promise<void> {
      await redis.set(userKey(userId), roomId);
    },
    /** Forgets the user's room, but only if it is still this one. */
    async leave(userId: number, roomId: string): Promise<void> {
      await deleteIfEquals.run(redis, [userKey(userId)], [roomId]);
    },
  };
}

export type RoomIndex = ReturnType<typeof createRoomIndex>;
