import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { likes } from '../db/schema/index.js';

/** QLive likes: a row exists while `userId` likes `targetUserId`; liking twice changes nothing. */
export function createLikesRepository(db: Db) {
  const pair = (userId: number, targetUserId: number) =>
    and(eq(likes.userId, userId), eq(likes.targetUserId, targetUserId));
  return {
    async set(userId: number, targetUserId: number, liked: boolean): Promise<void> {
      if (liked) await db.insert(likes).values({ userId, targetUserId }).onConflictDoNothing();
      else await db.delete(likes).where(pair(userId, targetUserId));
    },
    async isLiked(userId: number, targetUserId: number): Promise<boolean> {
      const rows = await db.select({ userId: likes.userId }).from(likes).where(pair(userId, targetUserId));
      return rows.length > 0;
    },
  };
}

export type LikesRepository = ReturnType<typeof createLikesRepository>;
