/** The machine runtime shared by calls and rooms; see machine-runtime.ts for the flow. */

export type { DelayedEventData } from './delayed-events.js';
export { connectionFromUrl, DEFAULT_QUEUE_NAME, DelayedEvents } from './delayed-events.js';
export { bullPrefixOf, CLUSTER_SHARDS, delayedJobId } from './keys.js';
export type {
  ArmedTimer,
  FireResult,
  MachineRuntime,
  MachineRuntimeOptions,
  SendOptions,
} from './machine-runtime.js';
export { createMachineRuntime } from './machine-runtime.js';
export type { RecoveryOptions, RecoveryReport } from './outbox-recovery.js';
export type { TouchOutcome } from './timer-touch.js';
export type {
  AnyMachineDefinition,
  EffectContext,
  EffectHandlers,
  FinalRecord,
  InstanceState,
  MachineDefinition,
  MachineKind,
  RuntimeEvent,
  RuntimeLogger,
  SavedTransition,
  SendResult,
  TransitionNotice,
  TransitionRecord,
} from './types.js';
export { defineMachine } from './types.js';
