/**
 * A typed handle on one kind of machine (`runtime.of(kind)`): the runtime's reads and sends with
 * the kind's snapshot, context, input, event names and view types, so no caller casts a snapshot.
 * The casts live here, once: the runtime stores every kind alike, and the kind's definition (its
 * machine and view) is what made the stored snapshot and view.
 */
import type { AnyStateMachine, ContextFrom, EventFrom, InputFrom } from 'xstate';
import type { TouchOutcome } from './timer-touch.js';
import type {
  ArmedTimer,
  InstanceState,
  MachineKind,
  RuntimeEvent,
  SendOptions,
  SendResult,
  TransitionRecord,
  TypedInstanceState,
} from './types.js';

/** An event of the kind's machine; `at` is stamped by the runtime when missing. */
export type EventOf<M extends AnyStateMachine> = RuntimeEvent & { type: EventFrom<M>['type'] };

export interface TypedSendResult<M extends AnyStateMachine, V>
  extends Omit<SendResult, 'snapshot' | 'view'>,
    Omit<TypedInstanceState<M, V>, 'version' | 'updatedAt'> {}

export interface MachineHandle<M extends AnyStateMachine, V> {
  readonly kind: string;
  /** `initialTransition` + create-if-absent. A second create of a live id is a conflict (409). */
  create(
    id: string,
    input: InputFrom<M>,
    options?: SendOptions & { at?: number },
  ): Promise<TypedInstanceState<M, V>>;
  /** Applies one event; `applied: false` (state untouched) when the machine does not accept it now. */
  send(id: string, event: EventOf<M>, options?: SendOptions): Promise<TypedSendResult<M, V>>;
  get(id: string): Promise<TypedInstanceState<M, V> | null>;
  /** Whether Redis holds the instance, without reading it. */
  exists(id: string): Promise<boolean>;
  /** The instance's context; null when there is no such instance. */
  context(id: string): Promise<ContextFrom<M> | null>;
  list(options?: { limit?: number }): Promise<string[]>;
  history(id: string): Promise<TransitionRecord[]>;
  timers(id: string): Promise<ArmedTimer[]>;
  touchTimer(
    id: string,
    sendId: string,
    options?: { at?: number; require?: { attribute: string; value: string } },
  ): Promise<TouchOutcome>;
  setAttribute(id: string, name: string, value: string): Promise<boolean>;
}

/** The runtime's string-keyed calls a handle wraps (machine-runtime.ts implements them). */
interface KindKeyedRuntime {
  create(
    kind: string,
    id: string,
    input?: unknown,
    options?: SendOptions & { at?: number },
  ): Promise<InstanceState>;
  send(kind: string, id: string, event: RuntimeEvent, options?: SendOptions): Promise<SendResult>;
  get(kind: string, id: string): Promise<InstanceState | null>;
  exists(kind: string, id: string): Promise<boolean>;
  history(kind: string, id: string): Promise<TransitionRecord[]>;
  listActive(kind: string, options?: { limit?: number }): Promise<string[]>;
  timers(kind: string, id: string): Promise<ArmedTimer[]>;
  touchTimer(
    kind: string,
    id: string,
    sendId: string,
    options?: { at?: number; require?: { attribute: string; value: string } },
  ): Promise<TouchOutcome>;
  setAttribute(kind: string, id: string, name: string, value: string): Promise<boolean>;
}

export function handleOf<M extends AnyStateMachine, V>(
  runtime: KindKeyedRuntime,
  kind: MachineKind<M, V>,
): MachineHandle<M, V> {
  const name = kind.name;
  const typed = (state: InstanceState) => state as TypedInstanceState<M, V>;
  return {
    kind: name,
    create: async (id, input, options) => typed(await runtime.create(name, id, input, options)),
    send: async (id, event, options) =>
      (await runtime.send(name, id, event, options)) as unknown as TypedSendResult<M, V>,
    get: async (id) => {
      const state = await runtime.get(name, id);
      return state ? typed(state) : null;
    },
    exists: (id) => runtime.exists(name, id),
    context: async (id) => {
      const state = await runtime.get(name, id);
      return state ? (state.snapshot.context as ContextFrom<M>) : null;
    },
    list: (options) => runtime.listActive(name, options),
    history: (id) => runtime.history(name, id),
    timers: (id) => runtime.timers(name, id),
    touchTimer: (id, sendId, options) => runtime.touchTimer(name, id, sendId, options),
    setAttribute: (id, attribute, value) => runtime.setAttribute(name, id, attribute, value),
  };
}
