/**
 * The state chart of a machine, read from its xstate definition (never drawn by hand): every state
 * node, and every transition with its event, guard and target. Delayed transitions (`after`) are
 * labelled `after <delay>` instead of xstate's internal event type. A transition without a target
 * stays in its state (an internal update such as a billing TICK): its `target` is null.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';

export type ChartStateType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface ChartTransition {
  /** The event type as the machine receives it (`xstate.after.*` for delays). */
  event: string;
  /** What the chart shows: the event type, or `after <delay>`. */
  label: string;
  /** Named guard, `inline` for an anonymous one, null when the transition always applies. */
  guard: string | null;
  /** Id of the target state node; null when the transition stays in the state. */
  target: string | null;
}

export interface ChartState {
  /** xstate's node id, e.g. `call.live`. */
  id: string;
  key: string;
  type: ChartStateType;
  parent: string | null;
  transitions: ChartTransition[];
}

export interface ChartGraph {
  machineId: string;
  /** Id of the initial state of the root. */
  initial: string | null;
  states: ChartState[];
}

function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string') {
    return (guard as { type: string }).type;
  }
  return 'inline';
}

function delayLabels(node: AnyStateNode): Map<string, string> {
  const labels = new Map<string, string>();
  for (const delayed of node.after) {
    const delay = typeof delayed.delay === 'number' ? `${delayed.delay}ms` : String(delayed.delay);
    labels.set(delayed.eventType, `after ${delay}`);
  }
  return labels;
}

function stateOf(node: AnyStateNode): ChartState {
  const delays = delayLabels(node);
  const transitions: ChartTransition[] = [];
  for (const [event, definitions] of node.transitions) {
    for (const definition of definitions) {
      const targets = definition.target ?? [];
      const common = { event, label: delays.get(event) ?? event, guard: guardName(definition.guard) };
      if (targets.length === 0) transitions.push({ ...common, target: null });
      for (const target of targets) transitions.push({ ...common, target: target.id });
    }
  }
  return {
    id: node.id,
    key: node.key,
    type: node.type as ChartStateType,
    parent: node.parent && node.parent !== node.machine.root ? node.parent.id : null,
    transitions,
  };
}

function descendants(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states).flatMap((child) => [child, ...descendants(child)]);
}

export function graphOf(machine: AnyStateMachine): ChartGraph {
  const initial = machine.root.initial?.target?.[0]?.id ?? null;
  return { machineId: machine.id, initial, states: descendants(machine.root).map(stateOf) };
}
