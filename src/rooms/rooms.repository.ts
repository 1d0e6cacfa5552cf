import { and, count, desc, eq, isNull, sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.js';
import { liveRooms } from '../db/schema/index.js';

export type LiveRoomRow = typeof liveRooms.$inferSelect;

/**
 * The Tencent IM group of a room, named by the server: `@QLIVE#<live_id>`. A custom group id may be
 * any printable ASCII up to 48 bytes except Tencent's own `@TGS#` prefix, so it never collides with
 * an auto-assigned one; the matchmaker's client creates the group (AVChatRoom) under this id.
 */
export const groupIdOf = (liveId: number) => `@QLIVE#${liveId}`;

/** The lasting record of QLive rooms (`live_rooms`); a room's live state is its machine in Redis. */
export function createRoomsRepository(db: Db) {
  return {
    async nextId(): Promise<number> {
      const [row] = await queryRows<{ id: string | number }>(db, sql`select nextval('room_id_seq') as id`);
      return Number(row!.id);
    },

    async insert(room: { id: number; matchmakerId: number; roomName: string; roomImage: string }) {
      const [row] = await db
        .insert(liveRooms)
        .values({ ...room, groupId: groupIdOf(room.id) })
        .returning();
      return row!;
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
    async pageLive(offset: number, limit: number): Promise<{ total: number; rooms: LiveRoomRow[] }> {
      const [counted] = await db.select({ total: count() }).from(liveRooms).where(isNull(liveRooms.endedAt));
      const rooms = await db
        .select()
        .from(liveRooms)
        .where(isNull(liveRooms.endedAt))
        .orderBy(desc(liveRooms.id))
        .offset(offset)
        .limit(limit);
      return { total: counted?.total ?? 0, rooms };
    },
  };
}

export type RoomsRepository = ReturnType<typeof createRoomsRepository>;
