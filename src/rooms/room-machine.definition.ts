import { eq } from 'drizzle-orm';
import {
  numList,
  type RoomContext,
  type RoomEvent,
  type RoomSnapshot,
  roomMachine,
  roomUpdates,
  roomView,
} from '../../machines/room.js';
import type { Db } from '../db/client.js';
import { liveRooms } from '../db/schema/index.js';
import type { EventNotice, MessageNotice, NoticeOrigin } from '../notices/notice.js';
import { defineMachine } from '../runtime/index.js';
import type { RoomIndex } from './room-index.js';
import { ROOM } from './room-kind.js';

export interface RoomEffectsDeps {
  db: Db;
  roomIndex: RoomIndex;
  context(roomId: string): Promise<RoomContext | null>;
  /** The signed play URL of a user's stream in a room. */
  playUrl(roomId: string, userId: number): string;
  /** Delivers an update to our websocket clients (the Socket.IO channel). */
  update(notice: EventNotice): void;
  /** Delivers what a transition announced, on every channel (Tencent IM, Socket.IO). */
  announce(notice: MessageNotice, origin: NoticeOrigin): Promise<void>;
}

/**
 * The room machine with its effects; all are idempotent (re-run safely after a crash). What the
 * room tells its members is the machine's: its `announce` messages and its `roomUpdates`.
 */
export function roomMachineDefinition(deps: RoomEffectsDeps) {
  return defineMachine({
    kind: ROOM,
    machine: roomMachine,
    // num_list rides along so a client can refresh its counters from the push alone.
    view: (snapshot: RoomSnapshot) => ({ ...roomView(snapshot), numList: numList(snapshot) }),
    updates: ({ snapshot, ...transition }) =>
      roomUpdates({
        ...transition,
        event: transition.event as RoomEvent,
        context: snapshot.context,
        view: transition.view as object,
      }),
    effects: {
      // Who now publishes on the seat, and where to play it (the full view follows as room:update).
      seatChanged: async ({ params, snapshot }) => {
        const groupId = snapshot?.context.groupId ?? '';
        deps.update({
          audience: { roomId: params.roomId, groupId },
          event: 'room:seat',
          payload: {
            liveId: Number(params.roomId),
            seat: params.seat,
            userId: params.userId,
            playUrl: params.userId === null ? '' : deps.playUrl(params.roomId, params.userId),
          },
        });
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
