import type { RoomView, roomMachine } from '../../machines/room.js';
import { type MachineHandle, machineKind } from '../runtime/index.js';

/** What a QLive room pushes: its view and the audience counters (num_list) a client refreshes from. */
export type RoomPushView = RoomView & { numList: [number, number, number, number] };

/** QLive matchmaking rooms: `runtime.of(ROOM)` reads and sends with the room machine's types. */
export const ROOM = machineKind<typeof roomMachine, RoomPushView>('room');

/** The rooms' machines, as a typed handle (`runtime.of(ROOM)`). */
export type RoomMachines = MachineHandle<typeof roomMachine, RoomPushView>;
