/**
 * Snapshot ⇄ JSON. Saving uses `machine.getPersistedSnapshot(snapshot)` (value, context, status,
 * output, error, historyValue as `{id}` references, children). Restoring goes through
 * `createActor(machine, { snapshot })`, i.e. `machine.restoreSnapshot`, the path xstate 5.33 uses
 * itself: it keeps context, status and output and revives `historyValue` into state nodes.
 * `machine.resolveState(json)` looks like the lighter option but leaves `historyValue` as plain
 * JSON, and the next transition into a history state throws (pinned by
 * test/unit/runtime/xstate-contract.test.ts). The actor is never started, so nothing runs.
 */
import { type AnyMachineSnapshot, type AnyStateMachine, createActor } from 'xstate';

export function encodeSnapshot(machine: AnyStateMachine, snapshot: AnyMachineSnapshot): string {
  return JSON.stringify(machine.getPersistedSnapshot(snapshot));
}

export function decodeSnapshot(machine: AnyStateMachine, json: string): AnyMachineSnapshot {
  const restored: unknown = createActor(machine, { snapshot: JSON.parse(json) }).getSnapshot();
  // A snapshot that does not fit the machine comes back as a bare `{status: 'error', error}`.
  if (typeof restored !== 'object' || restored === null || !('machine' in restored)) {
    const cause = (restored as { error?: unknown } | null)?.error;
    throw new Error(`stored snapshot does not fit machine '${machine.id}'`, { cause });
  }
  return restored as AnyMachineSnapshot;
}
