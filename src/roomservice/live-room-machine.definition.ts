import { type LiveRoomSnapshot, liveRoomMachine, liveRoomView } from '../../machines/live-room.js';
import { defineMachine } from '../runtime/index.js';

export interface LiveRoomEffectsDeps {
  /** A party of the room's call started or stopped pushing (the call's grace period applies). */
  streamChanged(callId: string, userId: number, connected: boolean): Promise<void>;
}

/**
 * The RoomService room machine with its effects. `reportToCall` tells the paid call that one of
 * its parties' pushers joined or went (idempotent: the call machine ignores a repeat).
 */
export function liveRoomMachineDefinition(deps: LiveRoomEffectsDeps) {
  return defineMachine({
    machine: liveRoomMachine,
    view: (snapshot: LiveRoomSnapshot) => liveRoomView(snapshot),
    effects: {
      reportToCall: async ({ params }) => {
        await deps.streamChanged(params.callId, Number(params.userId), params.connected);
      },
    },
  });
}
