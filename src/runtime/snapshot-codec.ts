/**
 * Snapshot ⇄ JSON. Saving uses `machine.getPersistedSnapshot(snapshot)` (value, context, status,
 * output, error, historyValue as `{id}` references, children). Restoring goes through
 * `machine.restoreSnapshot` (inert-scope.ts), the path `createActor(machine, { snapshot })` takes in
 * xstate 5.33: it keeps context, status and output and revives `historyValue` into state nodes.
 * `machine.resolveState(json)` looks like the lighter option but leaves `historyValue` as plain
 * JSON, and the next transition into a history state throws (pinned by
 * test/unit/runtime/xstate-contract.test.ts). Nothing runs.
 */
import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { restoreSnapshot } from './inert-scope.js';

export function encodeSnapshot(machine: AnyStateMachine, snapshot: AnyMachineSnapshot): string {
  return JSON.stringify(machine.getPersistedSnapshot(snapshot));
}

export function decodeSnapshot(machine: AnyStateMachine, json: string): AnyMachineSnapshot {
  let restored: unknown;
  try {
    restored = restoreSnapshot(machine, JSON.parse(json));
  } catch (cause) {
    throw new Error(`stored snapshot does not fit machine '${machine.id}'`, { cause });
  }
  if (typeof restored !== 'object' || restored === null || !('machine' in restored))
    throw new Error(`stored snapshot does not fit machine '${machine.id}'`);
  return restored as AnyMachineSnapshot;
}
