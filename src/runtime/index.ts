/** The machine runtime shared by calls and rooms; see machine-runtime.ts for the flow. */

export type { DelayedEventData } from './delayed-events.js';
export { connectionFromUrl, DEFAULT_QUEUE_NAME, DelayedEvents } from './delayed-events.js';
export { bullPrefixOf, CLUSTER_SHARDS, delayedJobId } from './keys.js';
export type { EventOf, MachineHandle, TypedSendResult } from './machine-handle.js';
export type { FireResult, MachineRuntime, MachineRuntimeOptions } from './machine-runtime.js';
export { createMachineRuntime } from './machine-runtime.js';
export type { RecentHistory } from './machine-store.js';
export type { RecoveryOptions, RecoveryReport } from './outbox-recovery.js';
export type { TouchOutcome } from './timer-touch.js';
export type {
  AnyMachineDefinition,
  ArmedTimer,
  EffectContext,
  EffectHandlers,
  FinalRecord,
  InstanceState,
  MachineDefinition,
  MachineKind,
  RuntimeEvent,
  RuntimeLogger,
  SavedTransition,
  SendOptions,
  SendResult,
  TransitionNotice,
  TransitionRecord,
  TypedInstanceState,
} from './types.js';
export { defineMachine, machineKind } from './types.js';
