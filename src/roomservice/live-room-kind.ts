import type { LiveRoomView, liveRoomMachine } from '../../machines/live-room.js';
import { type MachineHandle, machineKind, type TypedInstanceState } from '../runtime/index.js';

/** Tencent RoomService rooms: `runtime.of(LIVE_ROOM)` reads and sends with the live-room machine's types. */
export const LIVE_ROOM = machineKind<typeof liveRoomMachine, LiveRoomView>('live_room');

/** The RoomService rooms' machines, as a typed handle (`runtime.of(LIVE_ROOM)`). */
export type LiveRoomMachines = MachineHandle<typeof liveRoomMachine, LiveRoomView>;
export type LiveRoomInstance = TypedInstanceState<typeof liveRoomMachine, LiveRoomView>;
