import type { callMachine } from '../../machines/call.js';
import { type MachineHandle, machineKind, type TypedInstanceState } from '../runtime/index.js';
import type { PublicCallView } from './call-view.js';

/** Paid 1-on-1 calls: `runtime.of(CALL)` reads and sends with the call machine's types. */
export const CALL = machineKind<typeof callMachine, PublicCallView>('call');

/** The calls' machines, as a typed handle (`runtime.of(CALL)`). */
export type CallMachines = MachineHandle<typeof callMachine, PublicCallView>;
/** One call as read through the handle. */
export type CallInstance = TypedInstanceState<typeof callMachine, PublicCallView>;
