import { and, eq, isNull, lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { liveRooms } from '../db/schema/index.js';
import type { RoomIndex } from './room-index.js';

export interface LostRoomsDeps {
  db: Db;
  roomIndex: RoomIndex;
  machineExists(roomId: string): Promise<boolean>;
}

/**
 * Rooms Postgres knows as open (`live_rooms.ended_at` null) whose machine Redis no longer holds:
 * each is closed with end reason `state_lost` and its matchmaker freed to open another. A room
 * younger than `olderThanMs` is left alone: its machine may still be on its way (rooms.service
 * writes the row first).
 */
export async function closeLostRooms(deps: LostRoomsDeps, olderThanMs: number): Promise<string[]> {
  const open = await deps.db
    .select({ id: liveRooms.id, matchmakerId: liveRooms.matchmakerId })
    .from(liveRooms)
    .where(and(isNull(liveRooms.endedAt), lt(liveRooms.createdAt, new Date(Date.now() - olderThanMs))));
  const closed: string[] = [];
  for (const room of open) {
    const roomId = String(room.id);
    if (await deps.machineExists(roomId)) continue;
    const [ended] = await deps.db
      .update(liveRooms)
      .set({ endedAt: new Date(), endReason: 'state_lost' })
      .where(and(eq(liveRooms.id, room.id), isNull(liveRooms.endedAt)))
      .returning({ id: liveRooms.id });
    if (!ended) continue;
    await deps.roomIndex.leave(room.matchmakerId, roomId);
    closed.push(roomId);
  }
  return closed;
}
