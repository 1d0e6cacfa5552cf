/**
 * The machines the panel shows, each with what the panel needs to know about its context: who
 * takes part (the table's "parties" and its user filter) and the public view. Kept beside the
 * definitions the runtime runs, from the same pure machines.
 */
import type { AnyMachineSnapshot, AnyStateMachine, StateValue } from 'xstate';
import { type CallEndReason, type CallSnapshot, callMachine } from '../../machines/call.js';
import {
  type LiveRoomCloseReason,
  type LiveRoomSnapshot,
  liveRoomMachine,
  liveRoomView,
} from '../../machines/live-room.js';
import { type RoomEndReason, type RoomSnapshot, roomMachine, roomView } from '../../machines/room.js';
import { publicCallView } from '../calls/call-view.js';
import type { MachineKind } from '../runtime/index.js';

export const MACHINE_KINDS = ['call', 'room', 'live_room'] as const satisfies readonly MachineKind[];

export interface Party {
  role: string;
  userId: number;
}

export interface PanelMachine {
  machine: AnyStateMachine;
  /** What `context.endReason` may say once it has ended (the archive's filter offers these). */
  endReasons: readonly string[];
  view(snapshot: AnyMachineSnapshot): unknown;
  parties(snapshot: AnyMachineSnapshot): Party[];
}

export const PANEL_MACHINES: Record<MachineKind, PanelMachine> = {
  call: {
    machine: callMachine,
    endReasons: [
      'refused',
      'cancelled',
      'missed',
      'hangup_guest',
      'hangup_anchor',
      'hangup_server',
      'insufficient_funds',
      'disconnect',
      'banned',
    ] satisfies CallEndReason[],
    view: (snapshot) => publicCallView(snapshot as CallSnapshot),
    parties: (snapshot) => {
      const { guestId, anchorId } = (snapshot as CallSnapshot).context;
      return [
        { role: 'guest', userId: guestId },
        { role: 'anchor', userId: anchorId },
      ];
    },
  },
  room: {
    machine: roomMachine,
    endReasons: ['matchmaker_ended', 'matchmaker_left', 'admin', 'banned'] satisfies RoomEndReason[],
    view: (snapshot) => roomView(snapshot as RoomSnapshot),
    parties: (snapshot) => {
      const { matchmakerId, seats } = (snapshot as RoomSnapshot).context;
      const parties: Party[] = [{ role: 'matchmaker', userId: matchmakerId }];
      if (seats.male !== null) parties.push({ role: 'male seat', userId: seats.male });
      if (seats.female !== null) parties.push({ role: 'female seat', userId: seats.female });
      return parties;
    },
  },
  // RoomService rooms (/weapp/live_room/): their users are IM ids, listed here when they are numeric
  // (the paid-call users), with the room's creator first.
  live_room: {
    machine: liveRoomMachine,
    endReasons: [
      'destroyed',
      'empty',
      'idle',
      'creator_timeout',
      'call_ended',
      'admin',
    ] satisfies LiveRoomCloseReason[],
    view: (snapshot) => liveRoomView(snapshot as LiveRoomSnapshot),
    parties: (snapshot) => {
      const { creator, pushers } = (snapshot as LiveRoomSnapshot).context;
      const parties: Party[] = [{ role: 'creator', userId: Number(creator) }];
      for (const pusher of pushers) {
        if (pusher.userId !== creator) parties.push({ role: 'pusher', userId: Number(pusher.userId) });
      }
      return parties.filter((party) => Number.isSafeInteger(party.userId) && party.userId > 0);
    },
  },
};

/** `live`, or `parent.child` for a nested state (the first active leaf). */
export function stateName(value: StateValue): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value)[0] ?? [];
  if (key === undefined) return '';
  return child === undefined ? key : `${key}.${stateName(child as StateValue)}`;
}
