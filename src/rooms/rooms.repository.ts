import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.js';
import { liveRooms } from '../db/schema/index.js';

export type LiveRoomRow = typeof liveRooms.$inferSelect;

/** The lasting record of QLive rooms (`live_rooms`); a room's live state is its machine in Redis. */
export function createRoomsRepository(db: Db) {
  return {
    async nextId(): Promise<number> {
      const [row] = await queryRows<{ id: string | number }>(db, sql`select nextval('room_id_seq') as id`);
      return Number(row!.id);
    },

    async insert(room: {
      id: number;
      matchmakerId: number;
      roomName: string;
      roomImage: string;
      /** The matchmaker's Tencent IM group ("" while Tencent has not created it). */
      groupId: string;
    }) {
      const [row] = await db.insert(liveRooms).values(room).returning();
      return row!;
    },

    /** The live room (not ended) that uses this IM group, if any. */
    async findLiveByGroup(groupId: string): Promise<LiveRoomRow | null> {
      if (groupId === '') return null;
      const [row] = await db
        .select()
        .from(liveRooms)
        .where(and(eq(liveRooms.groupId, groupId), isNull(liveRooms.endedAt)))
        .orderBy(desc(liveRooms.id))
        .limit(1);
      return row ?? null;
    },

    async find(id: number): Promise<LiveRoomRow | null> {
      const [row] = await db.select().from(liveRooms).where(eq(liveRooms.id, id));
      return row ?? null;
    },

    /** A room that could not be started (its machine was never created) is closed at once. */
    async markFailed(id: number): Promise<void> {
      await db
        .update(liveRooms)
        .set({ endedAt: new Date(), endReason: 'failed_to_open' })
        .where(and(eq(liveRooms.id, id), isNull(liveRooms.endedAt)));
    },

    /** Rooms not ended yet, newest first. */
    /** Live rooms, newest first, `limit` of them from `offset` (none past the end). */
    async pageLive(offset: number, limit: number): Promise<LiveRoomRow[]> {
      return db
        .select()
        .from(liveRooms)
        .where(isNull(liveRooms.endedAt))
        .orderBy(desc(liveRooms.id))
        .offset(offset)
        .limit(limit);
    },
  };
}

export type RoomsRepository = ReturnType<typeof createRoomsRepository>;
