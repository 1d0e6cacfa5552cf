import { and, eq, isNull, lt } from 'drizzle-orm';
import { type LiveRoomContext, liveRoomMachine } from '../../machines/live-room.js';
import type { Db } from '../db/client.js';
import { roomServiceRooms } from '../db/schema/index.js';
import { IM_COMMANDS, type ImCall } from '../tencent/im/index.js';
import { roomImOrderKey } from './live-room-machine.definition.js';

/**
 * The IM call that destroys the group of a RoomService room Redis lost (spec §3: removing a room
 * destroys its group). `instance` tells this room apart from an earlier one of the same id (the
 * id may be used again, and the IM queue skips an id it delivered within a day), and is the same
 * on every run, so the group is destroyed once however often it is queued.
 */
export function lostRoomGroupDestroy(roomId: string, instance: string): ImCall {
  return {
    id: `live_room-${roomId}-${instance}-state_lost-destroy_group`,
    orderKey: roomImOrderKey(roomId),
    command: IM_COMMANDS.destroyGroup,
    body: { GroupId: roomId },
  };
}

export interface LostLiveRoomsDeps {
  db: Db;
  /** True while Redis still holds the room's machine. */
  machineExists(roomId: string): Promise<boolean>;
  /** The durable IM queue (a no-op where RoomService rooms get no IM groups). */
  enqueueIm(call: ImCall): Promise<void>;
  /** Keeps a finished room's final snapshot for the admin panel (a no-op if it has one). */
  archive(roomId: string, snapshot: unknown): Promise<void>;
  /** What rooms are created with (for the archived context). */
  limits: Pick<LiveRoomContext, 'maxPushers' | 'maxAudiences' | 'heartbeatTimeoutMs' | 'emptyRoomTimeoutMs'>;
}

interface LostLiveRoom {
  roomId: string;
  creator: string;
  createdAt: Date;
}

/**
 * The machine's final snapshot as it would have been, for the archive the admin panel reads: closed
 * `state_lost`, nobody in it (its pushers and audience went with Redis, and so did its roomInfo).
 */
function closedSnapshot(room: LostLiveRoom, limits: LostLiveRoomsDeps['limits'], closedAt: Date): unknown {
  const context: LiveRoomContext = {
    roomId: room.roomId,
    roomInfo: '',
    creator: room.creator,
    call: null,
    ...limits,
    at: room.createdAt.getTime(),
    pushers: [],
    audiences: [],
    closedAt: closedAt.getTime(),
    endReason: 'state_lost',
  };
  return liveRoomMachine.getPersistedSnapshot(liveRoomMachine.resolveState({ value: 'closed', context }));
}

/**
 * RoomService rooms Postgres knows as open (`roomservice_rooms.closed_at` null) whose machine Redis
 * no longer holds: each row is closed with reason `state_lost` (archived so for the admin panel)
 * and the room's IM group destroyed
 * (its members' clients hear onRoomClose, and the room id can be created again). Its pushers and
 * audience were only in the machine and its tokens in Redis: nothing else is left to free. A row
 * younger than `olderThanMs` is left alone (its machine was created just before it).
 *
 * The row is closed and the destruction queued in one Postgres transaction: a run that dies before
 * the commit leaves the row to the next run, which queues the same call again (a no-op once
 * delivered); a run that finds the row closed (by another process, or by the room's own end)
 * queues nothing.
 */
export async function closeLostLiveRooms(deps: LostLiveRoomsDeps, olderThanMs: number): Promise<string[]> {
  const open = await deps.db
    .select({
      id: roomServiceRooms.id,
      roomId: roomServiceRooms.roomId,
      creator: roomServiceRooms.creator,
      createdAt: roomServiceRooms.createdAt,
    })
    .from(roomServiceRooms)
    .where(
      and(
        isNull(roomServiceRooms.closedAt),
        lt(roomServiceRooms.createdAt, new Date(Date.now() - olderThanMs)),
      ),
    );
  const closed: string[] = [];
  for (const row of open) {
    if (await deps.machineExists(row.roomId)) continue;
    const closedAt = new Date();
    const ended = await deps.db.transaction(async (tx) => {
      const [updated] = await tx
        .update(roomServiceRooms)
        .set({ closedAt, closeReason: 'state_lost' })
        .where(and(eq(roomServiceRooms.id, row.id), isNull(roomServiceRooms.closedAt)))
        .returning({ id: roomServiceRooms.id });
      if (!updated) return false;
      await deps.enqueueIm(lostRoomGroupDestroy(row.roomId, `row-${row.id}`));
      return true;
    });
    if (!ended) continue;
    await deps.archive(row.roomId, closedSnapshot(row, deps.limits, closedAt));
    closed.push(row.roomId);
  }
  return closed;
}
