/**
 * Public types of the machine runtime: what a machine definition provides (machine, view,
 * effect handlers) and what the runtime hands back (instance state, send results, transition
 * records). The runtime itself is untyped over machines (`AnyStateMachine`); `defineMachine`
 * checks a definition against its own machine and then erases the type.
 */
import type { AnyMachineSnapshot, AnyStateMachine, SnapshotFrom, StateMachine, StateValue } from 'xstate';
import type { UpdateNotice } from '../../machines/notices.js';

/**
 * A kind of machine, named once by the domain that owns it (`machineKind<typeof callMachine,
 * PublicCallView>('call')`) and typed by its machine and the view clients see. The runtime knows
 * only the name; `runtime.of(kind)` turns it into a handle whose reads and sends carry those types.
 */
export interface MachineKind<M extends AnyStateMachine = AnyStateMachine, V = unknown> {
  /** `[a-z][a-z0-9_]*`: part of every Redis key of its instances. */
  readonly name: string;
  /** Type carriers only, never set. */
  readonly machineType?: M;
  readonly viewType?: V;
}

export function machineKind<M extends AnyStateMachine, V>(name: string): MachineKind<M, V> {
  return { name };
}

/**
 * An event as the runtime sees it. `at` (epoch ms) is stamped with `Date.now()` when the caller
 * gives none, so machines never read a clock; delayed events get their due time instead.
 */
export interface RuntimeEvent {
  type: string;
  at?: number;
  [key: string]: unknown;
}

export interface RuntimeLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * What a named-effect handler receives. Effects may run more than once (a crash between the save
 * and the end of the effects, then `recoverPending`), so a handler must be idempotent: derive
 * idempotency keys from `kind`/`id` and the params (e.g. `call:<id>:minute:<n>`), or use
 * `idempotencyKey`, which is the same on every re-run of the same effect.
 */
export interface EffectContext<TParams = unknown, TSnapshot extends AnyMachineSnapshot = AnyMachineSnapshot> {
  kind: string;
  id: string;
  /** The action type, e.g. `chargeMinute`. */
  type: string;
  /** The action's params as the machine resolved them (JSON-safe: they are persisted in the outbox). */
  params: TParams;
  /** The event whose transition named this effect. */
  event: RuntimeEvent;
  /** The instance version the transition wrote. */
  version: number;
  /** `${kind}:${id}:v${version}:${index}` — stable across re-runs. */
  idempotencyKey: string;
  /** True when `recoverPending` is re-running the effect after a crash or a failure. */
  recovered: boolean;
  /**
   * The instance when the effects run: the snapshot this transition saved (or, on recovery, the
   * latest one), so a handler needs no extra read for what the machine already knows.
   */
  snapshot: TSnapshot | null;
  logger: RuntimeLogger;
}

/** The machine's named actions as a union of `{ type, params }` (xstate's own `ExecutableActionsFrom` merges them). */
type NamedActionOf<M extends AnyStateMachine> =
  M extends StateMachine<
    infer _Context,
    infer _Event,
    infer _Children,
    infer _Actor,
    infer TAction,
    infer _Guard,
    infer _Delay,
    infer _StateValue,
    infer _Tag,
    infer _Input,
    infer _Output,
    infer _Emitted,
    infer _Meta,
    infer _StateSchema,
    infer _TransitionMeta
  >
    ? TAction
    : never;

/** One optional handler per named action of the machine, typed by that action's params. */
export type EffectHandlers<M extends AnyStateMachine> = {
  [A in NamedActionOf<M> as A extends { type: infer T extends string } ? T : never]?: (
    ctx: EffectContext<A extends { params: infer P } ? P : undefined, SnapshotFrom<M>>,
  ) => Promise<void>;
};

/** One saved transition, as a definition's `updates` reads it. */
export interface SavedTransition<S extends AnyMachineSnapshot = AnyMachineSnapshot> {
  event: RuntimeEvent;
  /** The instance after the transition. */
  snapshot: S;
  view: unknown;
  version: number;
  created: boolean;
  final: boolean;
}

export interface MachineDefinition<M extends AnyStateMachine, V = unknown> {
  kind: MachineKind<M, V>;
  machine: M;
  /** The public view pushed to clients (never secrets). */
  view(snapshot: SnapshotFrom<M>): V;
  /** Named actions → I/O. An action without a handler is pure bookkeeping and is skipped (logged once). */
  effects: NoInfer<EffectHandlers<M>>;
  /**
   * What clients are told of a transition, as the machine declares it (machines/notices.ts, e.g.
   * `callUpdates`); handed to `onTransition` as `updates`. Pure: it must not throw or do I/O.
   */
  updates?(transition: SavedTransition<SnapshotFrom<M>>): readonly UpdateNotice[];
  /** Raise ids that name one step and never repeat (e.g. `/^minute-\d+$/`): their BullMQ job id has no version suffix. */
  oneShotTimers?: RegExp;
}

/** A definition with its machine type erased, as the runtime stores it. */
export interface AnyMachineDefinition {
  /** The kind's name. */
  kind: string;
  machine: AnyStateMachine;
  view(snapshot: AnyMachineSnapshot): unknown;
  effects: Readonly<Record<string, ((ctx: EffectContext) => Promise<void>) | undefined>>;
  updates?(transition: SavedTransition): readonly UpdateNotice[];
  oneShotTimers?: RegExp;
}

/** Checks a definition against its machine and kind, then erases the types for `runtime.register`. */
export function defineMachine<M extends AnyStateMachine, V>(
  definition: MachineDefinition<M, V>,
): AnyMachineDefinition {
  return { ...(definition as unknown as Omit<AnyMachineDefinition, 'kind'>), kind: definition.kind.name };
}

export interface InstanceState {
  snapshot: AnyMachineSnapshot;
  view: unknown;
  /** Starts at 1 on create; +1 per applied event. */
  version: number;
  updatedAt: number;
}

/** An instance as a typed handle reads it: its machine's snapshot and its kind's view. */
export interface TypedInstanceState<M extends AnyStateMachine, V> extends InstanceState {
  snapshot: SnapshotFrom<M>;
  view: V;
}

export interface SendResult extends InstanceState {
  applied: boolean;
  /** Why the event was not applied: the machine does not accept it now, or its timer was cancelled/superseded. */
  reason?: 'not-accepted' | 'stale-timer';
  /** True when an effect failed: the outbox keeps it and `recoverPending` re-runs it. */
  effectsPending: boolean;
}

/** One entry of an instance's history stream. */
export interface TransitionRecord {
  version: number;
  event: RuntimeEvent;
  /** State value before; null for the creating transition (`xstate.init`). */
  from: StateValue | null;
  to: StateValue;
  actor: string;
  at: number;
}

/** Handed to `onTransition` after the effects ran (the host pushes `view` to the clients). */
export interface TransitionNotice<K extends string = string> extends TransitionRecord {
  kind: K;
  id: string;
  view: unknown;
  final: boolean;
  /** Pushed again by `recoverPending` (only when no later transition has happened since). */
  recovered: boolean;
  /**
   * A newer transition was already saved when this notice was made, typically because an effect
   * of this transition sent the next event itself (its notice went out first, since notices follow
   * the effects). Pushing this `view` to clients would move them backwards; skip it.
   */
  superseded: boolean;
  /**
   * What the machine tells clients of this transition (its definition's `updates`), in order, for
   * the host to deliver. On a superseded transition those that carry its state (`latest`) are left out.
   */
  updates: readonly UpdateNotice[];
}

/** Handed to `onFinal` once the instance reached a final state and its effects ran. */
export interface FinalRecord<K extends string = string> {
  kind: K;
  id: string;
  version: number;
  snapshot: AnyMachineSnapshot;
  view: unknown;
  history: TransitionRecord[];
}

export interface SendOptions {
  /** Who sent it (user id, 'admin:<id>', 'timer', 'system'); stored in the history. */
  actor?: string;
  /**
   * The instance as the sender just read it with `get()`: the first attempt starts from it instead
   * of reading it again. A stale basis costs nothing but a retry (the compare-and-set catches it).
   */
  basis?: InstanceState;
}

export interface ArmedTimer {
  /** The machine's raise id (`minute-3`, `grace-12`, `xstate.after.ringTimeout.call.ringing`). */
  sendId: string;
  jobId: string;
  /** BullMQ's state of the job (`delayed`, `waiting`, `active`, `failed`…), `missing` when the queue has none. */
  state: string;
  /** When it fires (epoch ms); null when the job is missing. */
  dueAt: number | null;
  attempts: number;
}
