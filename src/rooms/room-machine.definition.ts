import { eq } from 'drizzle-orm';
import { numList, type RoomContext, type RoomSnapshot, roomMachine, roomView } from '../../machines/room.js';
import type { Db } from '../db/client.js';
import { liveRooms } from '../db/schema/index.js';
import type { Notice, NoticeOrigin } from '../notices/notice.js';
import { defineMachine } from '../runtime/index.js';
import type { RoomIndex } from './room-index.js';

export interface RoomEffectsDeps {
  db: Db;
  roomIndex: RoomIndex;
  context(roomId: string): Promise<RoomContext | null>;
  /** A seat changed hands: the room is told who now publishes which stream. */
  seatChanged(roomId: string, seat: 'male' | 'female', userId: number | null): Promise<void>;
  /** Delivers what a transition announced, on every channel (Tencent IM, Socket.IO). */
  announce(notice: Notice, origin: NoticeOrigin): Promise<void>;
}

/** The room machine with its effects; both are idempotent (re-run safely after a crash). */
export function roomMachineDefinition(deps: RoomEffectsDeps) {
  return defineMachine({
    machine: roomMachine,
    // num_list rides along so a client can refresh its counters from the push alone.
    view: (snapshot: RoomSnapshot) => ({ ...roomView(snapshot), numList: numList(snapshot) }),
    effects: {
      seatChanged: async ({ params }) => {
        await deps.seatChanged(params.roomId, params.seat, params.userId);
      },
      // The outbox saved with the transition holds this effect, so the notice is queued even if
      // the process dies right after the save; the key makes a re-run queue nothing new.
      announce: async ({ id, params, idempotencyKey }) => {
        await deps.announce(params, { id: idempotencyKey, orderKey: `room-${id}` });
      },
      archiveRoom: async ({ id }) => {
        const context = await deps.context(id);
        if (!context) return;
        await deps.db
          .update(liveRooms)
          .set({ endedAt: new Date(context.endedAt ?? Date.now()), endReason: context.endReason ?? 'admin' })
          .where(eq(liveRooms.id, Number(id)));
        const everyone = [
          context.matchmakerId,
          ...Object.values(context.members).map((member) => member.userId),
        ];
        await Promise.all(everyone.map((userId) => deps.roomIndex.leave(userId, id)));
      },
    },
  });
}
