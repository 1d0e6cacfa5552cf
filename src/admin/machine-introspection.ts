/**
 * What a snapshot says about itself: its active state nodes, the events its current state handles,
 * and which admin events it would take now (`snapshot.can` with the exact event, nothing applied).
 */
import type { AnyMachineSnapshot, AnyStateNode } from 'xstate';

import { PANEL_MACHINES, type PanelKind, type Party } from './machine-registry.js';
import { graphOf } from './state-chart/graph.js';

export interface AcceptedEvent {
  event: string;
  label: string;
  /** Guards of its transitions (null: unguarded); a guarded event applies only to the right payload. */
  guards: (string | null)[];
  targets: string[];
}

export function activeNodesOf(snapshot: AnyMachineSnapshot): AnyStateNode[] {
  // xstate keeps the active state nodes (leaf and ancestors) in `_nodes`; the root is one of them.
  return (snapshot as unknown as { _nodes: AnyStateNode[] })._nodes.filter((node) => node.parent);
}

export function acceptedEvents(kind: PanelKind, snapshot: AnyMachineSnapshot): AcceptedEvent[] {
  if (snapshot.status !== 'active') return [];
  const active = new Set(activeNodesOf(snapshot).map((node) => node.id));
  const byEvent = new Map<string, AcceptedEvent>();
  for (const state of graphOf(PANEL_MACHINES[kind].machine).states) {
    if (!active.has(state.id)) continue;
    for (const transition of state.transitions) {
      const entry = byEvent.get(transition.event) ?? {
        event: transition.event,
        label: transition.label,
        guards: [],
        targets: [],
      };
      entry.guards.push(transition.guard);
      entry.targets.push(transition.target ?? state.id);
      byEvent.set(transition.event, entry);
    }
  }
  return [...byEvent.values()];
}

/** The admin events exactly as the action routes send them, asked of the machine without applying them. */
export function adminActionsOf(kind: PanelKind, snapshot: AnyMachineSnapshot, parties: Party[]) {
  const none = { hangup: false, end: false, ban: [] as number[] };
  if (snapshot.status !== 'active') return none;
  const at = Date.now();
  const banEvent = (userId: number) =>
    kind === 'call'
      ? { type: 'BAN', userId, banType: 'account', title: '', at }
      : { type: 'BAN', userId, at };
  return {
    hangup: kind === 'call' && snapshot.can({ type: 'SERVER_HANGUP', by: 'admin', at }),
    end: kind === 'room' && snapshot.can({ type: 'ADMIN_END', by: 0, at }),
    ban: [...new Set(parties.map((party) => party.userId))].filter((userId) =>
      snapshot.can(banEvent(userId)),
    ),
  };
}
