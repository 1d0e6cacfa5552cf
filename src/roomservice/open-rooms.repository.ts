import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { roomServiceRooms } from '../db/schema/index.js';

/**
 * What Postgres knows of the RoomService rooms that are not a paid call's: a row while each is open
 * (db/schema/rooms.ts), so the lost-state reconciler can close a room Redis lost.
 */
export function createOpenRoomsRepository(db: Db) {
  return {
    /**
     * A room was created (its machine exists; its IM group is on its way). An open row already
     * there for this id is a room Redis lost that the reconciler has not closed yet: the new room
     * takes it over (its machine holds the id now, so the reconciler leaves it alone).
     */
    async opened(roomId: string, creator: string): Promise<void> {
      await db
        .insert(roomServiceRooms)
        .values({ roomId, creator })
        .onConflictDoUpdate({
          target: roomServiceRooms.roomId,
          targetWhere: sql`${roomServiceRooms.closedAt} is null`,
          set: { creator, createdAt: sql`now()` },
        });
    },

    /** The room closed (its machine ended); a room without a row (a call's) changes nothing. */
    async closed(roomId: string, reason: string): Promise<void> {
      await db
        .update(roomServiceRooms)
        .set({ closedAt: new Date(), closeReason: reason })
        .where(and(eq(roomServiceRooms.roomId, roomId), isNull(roomServiceRooms.closedAt)));
    },
  };
}

export type OpenRoomsRepository = ReturnType<typeof createOpenRoomsRepository>;
