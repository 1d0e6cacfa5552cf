/**
 * Turns the actions returned by xstate's pure `transition()` / `initialTransition()` into the
 * outbox: a JSON list of effects the runtime runs after the save. Pure; unit-tested.
 *
 * Shapes relied on (xstate 5.33, pinned by test/unit/runtime/xstate-contract.test.ts):
 * - named action:   `{ type: 'chargeMinute', params: {...}, info, exec }` (info/exec are not JSON; dropped)
 * - delayed raise:  `{ type: 'xstate.raise', params: { event, id, delay: number } }` (delay already
 *   resolved from `delays`; `after` uses id `xstate.after.<delay>.<stateId>`)
 * - plain raise:    `{ type: 'xstate.raise', params: { event, id, delay: undefined } }` — already
 *   handled inside the macrostep, nothing to do
 * - cancel:         `{ type: 'xstate.cancel', params: { sendId } }` (also emitted for every `after` on exit)
 * - `assign` emits nothing; other `xstate.*` builtins (sendTo, emit, spawnChild, log…) have no meaning
 *   for a pure machine here and are reported as ignored.
 *
 * Timers: `timers` maps every armed raise id (`sendId`) to its BullMQ job id and is saved with the
 * snapshot. A delayed job is applied only while its timer is still armed with exactly that job id,
 * so a cancelled, superseded or already-fired timer never applies, even if BullMQ could not remove
 * its job (an active job cannot be removed) or ran it twice.
 */
import { delayedJobId } from './keys.js';
import type { RuntimeEvent } from './types.js';

export type Timers = Record<string, string>;

export type OutboxEffect =
  | { type: 'effect'; name: string; params: unknown }
  | { type: 'schedule'; sendId: string; jobId: string; dueAt: number; delayMs?: number; event: RuntimeEvent }
  | { type: 'unschedule'; sendId: string; jobId: string };

/** The minimal view of xstate's `ExecutableActionObject` the plan reads. */
export interface ActionLike {
  type: string;
  params?: unknown;
}

export interface PlanInput {
  kind: string;
  id: string;
  /** The version the transition will write. */
  version: number;
  /** The `at` of the event being applied; a raise is due at `at + delay`. */
  at: number;
  actions: readonly ActionLike[];
  /** Armed timers before the transition (a timer that is firing now is already removed). */
  timers: Timers;
  /** The machine reached a final state: every timer still armed is unscheduled. */
  final: boolean;
  /** Raise ids that never repeat within an instance; their job ids carry no version. */
  oneShotTimers?: RegExp | undefined;
}

export interface Plan {
  effects: OutboxEffect[];
  timers: Timers;
  /** Builtin action types with no meaning for the runtime (logged by the caller). */
  ignored: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export function planEffects(input: PlanInput): Plan {
  const timers: Timers = { ...input.timers };
  let effects: OutboxEffect[] = [];
  const ignored: string[] = [];

  const unarm = (sendId: string): void => {
    const jobId = timers[sendId];
    if (jobId === undefined) return;
    delete timers[sendId];
    const before = effects.length;
    // A timer scheduled earlier in this same transition has no job yet: just drop the schedule.
    effects = effects.filter((e) => !(e.type === 'schedule' && e.jobId === jobId));
    if (effects.length === before) effects.push({ type: 'unschedule', sendId, jobId });
  };

  input.actions.forEach((action, index) => {
    const params = isRecord(action.params) ? action.params : {};
    if (action.type === 'xstate.raise') {
      if (typeof params.delay !== 'number') return;
      const event = params.event as RuntimeEvent;
      const sendId = typeof params.id === 'string' ? params.id : `anon.${index}`;
      unarm(sendId);
      const dueAt = input.at + params.delay;
      const jobId = delayedJobId(
        input.kind,
        input.id,
        sendId,
        input.version,
        input.oneShotTimers?.test(sendId) ?? false,
      );
      timers[sendId] = jobId;
      effects.push({
        type: 'schedule',
        sendId,
        jobId,
        dueAt,
        delayMs: params.delay,
        event: { ...event, at: event.at ?? dueAt },
      });
    } else if (action.type === 'xstate.cancel') {
      if (typeof params.sendId === 'string') unarm(params.sendId);
    } else if (action.type.startsWith('xstate.')) {
      ignored.push(action.type);
    } else {
      effects.push({ type: 'effect', name: action.type, params: action.params });
    }
  });

  if (input.final) for (const sendId of Object.keys(timers)) unarm(sendId);
  return { effects, timers, ignored };
}
