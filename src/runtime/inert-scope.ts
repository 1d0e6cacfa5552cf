/**
 * xstate's pure `transition()` and `createActor(machine, { snapshot })` each build a throwaway
 * actor: its constructor computes the machine's initial state (with no input, so a context factory
 * that reads its input throws, and xstate catches it) and a fresh actor system. Under live billing
 * that was 7 % of the server's CPU, more than the transitions themselves. These two call the same
 * machine methods xstate's helpers call (`transition`, `restoreSnapshot`, its ActorLogic interface)
 * with one inert scope per machine, made once, where xstate makes a new one per call.
 *
 * Sharing the scope is safe because the runtime's machines spawn and invoke nothing (effects are
 * named actions the host carries out), so nothing registers in the scope's actor system; the
 * actions a transition returns are collected per call, synchronously.
 * `test/unit/runtime/inert-scope.test.ts` pins both against xstate's own helpers.
 */
import {
  type ActorScope,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  createActor,
  type EventObject,
  type ExecutableActionObject,
} from 'xstate';

interface InertScope {
  scope: ActorScope<AnyMachineSnapshot, EventObject>;
  /** Where the running transition's actions go; replaced for every call. */
  sink: ExecutableActionObject[];
}

const scopes = new WeakMap<AnyStateMachine, InertScope>();

function scopeOf(machine: AnyStateMachine): InertScope {
  const known = scopes.get(machine);
  if (known) return known;
  const self = createActor(machine);
  const inert: InertScope = {
    sink: [],
    scope: {
      self,
      id: '',
      sessionId: '',
      logger: () => {},
      defer: () => {},
      emit: () => {},
      stopChild: () => {},
      system: self.system,
      actionExecutor: (action) => {
        inert.sink.push(action);
      },
    } as ActorScope<AnyMachineSnapshot, EventObject>,
  };
  scopes.set(machine, inert);
  return inert;
}

/** As xstate's `transition(machine, snapshot, event)`: the next snapshot and the actions to carry out. */
export function pureTransition(
  machine: AnyStateMachine,
  snapshot: AnyMachineSnapshot,
  event: EventObject,
): [AnyMachineSnapshot, ExecutableActionObject[]] {
  const inert = scopeOf(machine);
  const actions: ExecutableActionObject[] = [];
  inert.sink = actions;
  try {
    return [machine.transition(snapshot, event, inert.scope), actions];
  } finally {
    inert.sink = [];
  }
}

/** As `createActor(machine, { snapshot }).getSnapshot()`: a persisted snapshot revived (history included). */
export function restoreSnapshot(machine: AnyStateMachine, persisted: unknown): AnyMachineSnapshot {
  return machine.restoreSnapshot(persisted as never, scopeOf(machine).scope) as AnyMachineSnapshot;
}
