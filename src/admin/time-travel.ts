/**
 * An instance as it was at an earlier version, replayed from its history with xstate's pure
 * functions: the initial transition from the input its context started with, then every recorded
 * event in order. Nothing is stored per version; the history is the truth, and the replay is
 * checked against the stored snapshot (a replay that does not end where the instance is says so).
 */
import { type AnyMachineSnapshot, initialTransition, transition } from 'xstate';
import type { TransitionRecord } from '../runtime/index.js';
import { KIND_INSIGHTS } from './machine-insights.js';
import { activeNodesOf } from './machine-introspection.js';
import { PANEL_MACHINES, type PanelKind, stateName } from './machine-registry.js';

export interface ContextChange {
  /** Dotted path into the context (`members.12.gender`); '' for the whole value. */
  path: string;
  before: unknown;
  after: unknown;
}

export interface VersionView {
  version: number;
  /** The transition that produced this version. */
  transition: TransitionRecord;
  state: string;
  activeStateIds: string[];
  /** The states entered from version 1 up to this one, in order, and the edges taken (`from → to` ids). */
  path: string[];
  edges: { from: string; to: string }[];
  context: unknown;
  changes: ContextChange[];
  /** False when the history does not start at version 1 (capped) or the replay strays from the stored snapshot. */
  exact: boolean;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Leaf-level differences between two JSON values; arrays compare as wholes. */
export function diffOf(before: unknown, after: unknown, path = ''): ContextChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => diffOf(before[key], after[key], path ? `${path}.${key}` : key));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path, before, after }];
}

const stateIdsOf = (machineId: string, value: string) => `${machineId}.${value}`;

/**
 * Replays `history` up to `version`. `current` is the stored snapshot: its context says what the
 * input was, and the full replay must land on it for the answer to be `exact`.
 */
export function versionOf(
  kind: PanelKind,
  current: AnyMachineSnapshot,
  history: TransitionRecord[],
  version: number,
): VersionView | null {
  const target = history.find((record) => record.version === version);
  if (!target) return null;
  const { machine } = PANEL_MACHINES[kind];
  const complete = history[0]?.version === 1;
  let snapshot: AnyMachineSnapshot | null = complete
    ? (initialTransition(machine, KIND_INSIGHTS[kind].inputOf(current))[0] as AnyMachineSnapshot)
    : null;
  let previousContext: unknown = null;
  let atVersion: AnyMachineSnapshot | null = null;
  const path: string[] = [];
  const edges: { from: string; to: string }[] = [];
  for (const record of history) {
    if (snapshot && record.version > 1) {
      if (record.version === version) previousContext = snapshot.context;
      snapshot = transition(machine, snapshot, record.event as never)[0] as AnyMachineSnapshot;
    }
    if (record.version <= version) {
      const to = stateIdsOf(machine.id, stateName(record.to as never));
      if (path[path.length - 1] !== to) path.push(to);
      if (record.from !== null) {
        const from = stateIdsOf(machine.id, stateName(record.from as never));
        if (from !== to || !edges.some((edge) => edge.from === from && edge.to === to))
          edges.push({ from, to });
      }
    }
    if (record.version === version) atVersion = snapshot;
  }
  const exact =
    snapshot !== null &&
    JSON.stringify(snapshot.context) === JSON.stringify(current.context) &&
    JSON.stringify(snapshot.value) === JSON.stringify(current.value);
  const state = stateName(target.to as never);
  return {
    version,
    transition: target,
    state,
    activeStateIds: atVersion
      ? activeNodesOf(atVersion).map((node) => node.id)
      : [stateIdsOf(machine.id, state)],
    path,
    edges,
    context: atVersion?.context ?? null,
    changes: atVersion ? diffOf(version === 1 ? {} : previousContext, atVersion.context) : [],
    exact,
  };
}
