import { and, eq, isNull, lt } from 'drizzle-orm';
import { type OverMessage, type RoomContext, roomMachine } from '../../machines/room.js';
import type { Db } from '../db/client.js';
import { liveRooms } from '../db/schema/index.js';
import type { MessageNotice, NoticeOrigin } from '../notices/notice.js';
import type { RoomIndex } from './room-index.js';

export interface LostRoomsDeps {
  db: Db;
  roomIndex: RoomIndex;
  machineExists(roomId: string): Promise<boolean>;
  /** Delivers a room's message on every notice channel, as the room machine's `announce` does. */
  announce(notice: MessageNotice<OverMessage>, origin: NoticeOrigin): Promise<void>;
  /** Keeps a finished room's final snapshot for the admin panel (a no-op if it has one). */
  archive(roomId: string, snapshot: unknown): Promise<void>;
  /** The grace period rooms are created with (for the archived context). */
  graceMs: number;
}

interface LostRoom {
  id: number;
  matchmakerId: number;
  roomName: string;
  groupId: string;
  createdAt: Date;
}

/**
 * The machine's final snapshot as it would have been, for the archive the admin panel reads: ended
 * `state_lost`, nobody in it (who was there went with Redis), no history.
 */
function endedSnapshot(room: LostRoom, graceMs: number, endedAt: Date): unknown {
  const context: RoomContext = {
    roomId: String(room.id),
    matchmakerId: room.matchmakerId,
    roomName: room.roomName,
    groupId: room.groupId,
    graceMs,
    at: room.createdAt.getTime(),
    members: {},
    applicants: [],
    seats: { male: null, female: null },
    disconnected: [],
    endedAt: endedAt.getTime(),
    endReason: 'state_lost',
  };
  return roomMachine.getPersistedSnapshot(roomMachine.resolveState({ value: 'ended', context }));
}

/**
 * The `over` a lost room's IM group is told: the same message and order key as the room machine's
 * (machines/room.ts `announceOver`), under an id of its own that every run and every process
 * computes alike, so the durable IM queue sends it once however often it is queued.
 */
export function lostRoomOver(roomId: string, groupId: string) {
  const notice: MessageNotice<OverMessage> = {
    audience: { roomId, groupId },
    message: { content: '', type: 'over' },
  };
  const origin: NoticeOrigin = { id: `room-${roomId}-state_lost-over`, orderKey: `room-${roomId}` };
  return { notice, origin };
}

/**
 * Rooms Postgres knows as open (`live_rooms.ended_at` null) whose machine Redis no longer holds:
 * each is closed with end reason `state_lost` (archived so for the admin panel), its IM group told `over` (its clients leave the room
 * as when the host logs out; qlive-realtime.md §3.3) and its matchmaker freed to open another. The
 * members' room index went with Redis; a leftover entry names a room with no machine, which every
 * reader takes as no room. A room younger than `olderThanMs` is left alone: its machine may still
 * be on its way (rooms.service writes the row first).
 *
 * The row is closed and `over` queued in one Postgres transaction: a run that dies before the
 * commit leaves the room open for the next run, which queues the same `over` id again (a no-op if
 * the first got through); a run that finds the row closed by another process queues nothing.
 */
export async function closeLostRooms(deps: LostRoomsDeps, olderThanMs: number): Promise<string[]> {
  const open = await deps.db
    .select({
      id: liveRooms.id,
      matchmakerId: liveRooms.matchmakerId,
      roomName: liveRooms.roomName,
      groupId: liveRooms.groupId,
      createdAt: liveRooms.createdAt,
    })
    .from(liveRooms)
    .where(and(isNull(liveRooms.endedAt), lt(liveRooms.createdAt, new Date(Date.now() - olderThanMs))));
  const closed: string[] = [];
  for (const room of open) {
    const roomId = String(room.id);
    if (await deps.machineExists(roomId)) continue;
    const endedAt = new Date();
    const ended = await deps.db.transaction(async (tx) => {
      const [row] = await tx
        .update(liveRooms)
        .set({ endedAt, endReason: 'state_lost' })
        .where(and(eq(liveRooms.id, room.id), isNull(liveRooms.endedAt)))
        .returning({ id: liveRooms.id });
      if (!row) return false;
      const { notice, origin } = lostRoomOver(roomId, room.groupId);
      await deps.announce(notice, origin);
      return true;
    });
    if (!ended) continue;
    await deps.archive(roomId, endedSnapshot(room, deps.graceMs, endedAt));
    await deps.roomIndex.leave(room.matchmakerId, roomId);
    closed.push(roomId);
  }
  return closed;
}
