/**
 * RoomService login tokens (spec tencent-roomservice.md §5): one per `userID`, 128 random bits as 32
 * hex characters, kept in Redis and dropped after 24 h unused or at logout; a new login replaces it.
 * Each check slides the expiry in the same command (GETEX), so a check is one round trip.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';

export const ROOMSERVICE_TOKEN_IDLE_SECONDS = 24 * 3600;

export function createRoomServiceTokens(redis: RedisClient, prefix: string) {
  // The hash tag keeps a user's token key in one slot under Redis Cluster.
  const keyOf = (userId: string) => `${prefix}rs:token:{${userId}}`;

  return {
    async issue(userId: string): Promise<string> {
      const token = randomBytes(16).toString('hex');
      await redis.set(keyOf(userId), token, 'EX', ROOMSERVICE_TOKEN_IDLE_SECONDS);
      return token;
    },

    async check(userId: string, token: string): Promise<boolean> {
      const stored = await redis.getex(keyOf(userId), 'EX', ROOMSERVICE_TOKEN_IDLE_SECONDS);
      if (stored === null || stored.length !== token.length) return false;
      return timingSafeEqual(Buffer.from(stored), Buffer.from(token));
    },

    async revoke(userId: string): Promise<void> {
      await redis.del(keyOf(userId));
    },
  };
}

export type RoomServiceTokens = ReturnType<typeof createRoomServiceTokens>;
