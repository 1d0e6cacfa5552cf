/**
 * The machines the panel shows, each with what the panel needs to know about its context: who
 * takes part (the table's "parties" and its user filter) and the public view. Kept beside the
 * definitions the runtime runs, from the same pure machines.
 */
import type { AnyMachineSnapshot, AnyStateMachine, SnapshotFrom, StateValue } from 'xstate';
import { type CallEndReason, callMachine } from '../../machines/call.js';
import { type LiveRoomCloseReason, liveRoomMachine, liveRoomView } from '../../machines/live-room.js';
import { type RoomEndReason, roomMachine, roomView } from '../../machines/room.js';
import { publicCallView } from '../calls/call-view.js';

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

/** A panel entry checked against its machine's snapshot type, then erased like the runtime's definitions. */
function panelMachine<M extends AnyStateMachine>(
  machine: M,
  spec: {
    endReasons: readonly string[];
    view(snapshot: SnapshotFrom<M>): unknown;
    parties(snapshot: SnapshotFrom<M>): Party[];
  },
): PanelMachine {
  return {
    machine,
    endReasons: spec.endReasons,
    view: (snapshot) => spec.view(snapshot as SnapshotFrom<M>),
    parties: (snapshot) => spec.parties(snapshot as SnapshotFrom<M>),
  };
}

/** The kinds the panel shows, by the name they are registered under in the runtime. */
export const PANEL_MACHINES = {
  call: panelMachine(callMachine, {
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
      'state_lost',
    ] satisfies CallEndReason[],
    view: publicCallView,
    parties: (snapshot) => {
      const { guestId, anchorId } = snapshot.context;
      return [
        { role: 'guest', userId: guestId },
        { role: 'anchor', userId: anchorId },
      ];
    },
  }),
  room: panelMachine(roomMachine, {
    endReasons: [
      'matchmaker_ended',
      'matchmaker_left',
      'matchmaker_logout',
      'admin',
      'banned',
      'state_lost',
    ] satisfies RoomEndReason[],
    view: roomView,
    parties: (snapshot) => {
      const { matchmakerId, seats } = snapshot.context;
      const parties: Party[] = [{ role: 'matchmaker', userId: matchmakerId }];
      if (seats.male !== null) parties.push({ role: 'male seat', userId: seats.male });
      if (seats.female !== null) parties.push({ role: 'female seat', userId: seats.female });
      return parties;
    },
  }),
  // RoomService rooms (/weapp/live_room/): their users are IM ids, listed here when they are numeric
  // (the paid-call users), with the room's creator first.
  live_room: panelMachine(liveRoomMachine, {
    endReasons: [
      'destroyed',
      'empty',
      'idle',
      'creator_timeout',
      'call_ended',
      'admin',
      'state_lost',
    ] satisfies LiveRoomCloseReason[],
    view: liveRoomView,
    parties: (snapshot) => {
      const { creator, pushers } = snapshot.context;
      const parties: Party[] = [{ role: 'creator', userId: Number(creator) }];
      for (const pusher of pushers) {
        if (pusher.userId !== creator) parties.push({ role: 'pusher', userId: Number(pusher.userId) });
      }
      return parties.filter((party) => Number.isSafeInteger(party.userId) && party.userId > 0);
    },
  }),
} satisfies Record<string, PanelMachine>;

export type PanelKind = keyof typeof PANEL_MACHINES;
export const MACHINE_KINDS = Object.keys(PANEL_MACHINES) as PanelKind[];

/** `live`, or `parent.child` for a nested state (the first active leaf). */
export function stateName(value: StateValue): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value)[0] ?? [];
  if (key === undefined) return '';
  return child === undefined ? key : `${key}.${stateName(child as StateValue)}`;
}
