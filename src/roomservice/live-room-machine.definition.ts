import { type LiveRoomSnapshot, liveRoomMachine, liveRoomView } from '../../machines/live-room.js';
import { defineMachine } from '../runtime/index.js';
import { IM_COMMANDS, type ImCall } from '../tencent/im/index.js';
import { LIVE_ROOM } from './live-room-kind.js';

export interface LiveRoomEffectsDeps {
  /** A party of the room's call started or stopped pushing (the call's grace period applies). */
  streamChanged(callId: string, userId: number, connected: boolean): Promise<void>;
  /** The durable IM queue (src/tencent/im): the room's group calls go out in order, retried until done. */
  enqueueIm(call: ImCall): Promise<void>;
  /** A room that is no call's closed: Postgres forgets it as open (open-rooms.repository.ts). */
  roomClosed(roomId: string, reason: string): Promise<void>;
}

/** Every IM call of one room goes through one order key, so a notification never overtakes the group's end. */
export const roomImOrderKey = (roomId: string) => `live_room-${roomId}`;

/** What liveroom.js / rtcroom.js react to with get_pushers (group system notice, type 255). */
export const PUSHER_CHANGE_NOTICE = JSON.stringify({ cmd: 'notifyPusherChange', data: '' });

/**
 * The RoomService room machine with its effects. `reportToCall` tells the paid call that one of
 * its parties' pushers joined or went (idempotent: the call machine ignores a repeat). The room's
 * IM group (spec §3) hears of every pusher change and goes with the room; both are queued under
 * the effect's idempotency key, so a re-run effect queues nothing twice.
 */
export function liveRoomMachineDefinition(deps: LiveRoomEffectsDeps) {
  return defineMachine({
    kind: LIVE_ROOM,
    machine: liveRoomMachine,
    view: (snapshot: LiveRoomSnapshot) => liveRoomView(snapshot),
    effects: {
      reportToCall: async ({ params }) => {
        await deps.streamChanged(params.callId, Number(params.userId), params.connected);
      },
      pusherChanged: async ({ params, idempotencyKey }) => {
        await deps.enqueueIm({
          id: idempotencyKey,
          orderKey: roomImOrderKey(params.roomId),
          command: IM_COMMANDS.sendGroupSystemNotification,
          body: { GroupId: params.roomId, Content: PUSHER_CHANGE_NOTICE },
        });
      },
      // The group first: a re-run after a crash between the two queues nothing new and closes the row.
      roomClosed: async ({ params, idempotencyKey, snapshot }) => {
        await deps.enqueueIm({
          id: idempotencyKey,
          orderKey: roomImOrderKey(params.roomId),
          command: IM_COMMANDS.destroyGroup,
          body: { GroupId: params.roomId },
        });
        if (params.callId === null)
          await deps.roomClosed(params.roomId, snapshot?.context.endReason ?? 'closed');
      },
    },
  });
}
