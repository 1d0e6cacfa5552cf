import { describe, expect, it } from 'vitest';
import { planEffects } from '../../../src/runtime/effect-plan.js';
import { delayedJobId } from '../../../src/runtime/keys.js';

const base = { kind: 'call', id: '42', version: 7, at: 1_000, timers: {}, final: false };
const raise = (
  id: string | undefined,
  delay: number | undefined,
  event: Record<string, unknown> = { type: 'TICK' },
) => ({
  type: 'xstate.raise',
  params: { event, id, delay },
});
const cancel = (sendId: string) => ({ type: 'xstate.cancel', params: { sendId } });

describe('planEffects', () => {
  it('turns a delayed raise into a schedule with a deterministic job id, due at event.at + delay', () => {
    const plan = planEffects({ ...base, actions: [raise('minute-3', 60_000, { type: 'TICK', minute: 3 })] });
    expect(plan.effects).toEqual([
      {
        type: 'schedule',
        sendId: 'minute-3',
        jobId: 'call-42-minute-3-v7',
        dueAt: 61_000,
        delayMs: 60_000,
        event: { type: 'TICK', minute: 3, at: 61_000 },
      },
    ]);
    expect(plan.timers).toEqual({ 'minute-3': 'call-42-minute-3-v7' });
  });

  it("keeps an event's own `at`", () => {
    const plan = planEffects({ ...base, actions: [raise('t', 10, { type: 'TICK', at: 5 })] });
    expect(plan.effects[0]).toMatchObject({ dueAt: 1_010, event: { at: 5 } });
  });

  it('job ids never contain ":"', () => {
    expect(delayedJobId('room', 'r-1', 'xstate.after.grace:1', 3)).toBe('room-r-1-xstate.after.grace_1-v3');
  });

  it('gives one-shot timers (a billing minute) a plain job id without the version', () => {
    const plan = planEffects({
      ...base,
      kind: 'call',
      id: '42',
      oneShotTimers: /^minute-\d+$/,
      actions: [
        raise('minute-3', 60_000, { type: 'TICK', minute: 3 }),
        raise('grace-guest', 500, { type: 'G' }),
      ],
    });
    expect(plan.timers).toMatchObject({
      'minute-3': 'call-42-minute-3',
      'grace-guest': expect.stringMatching(/-v\d+$/),
    });
  });

  it('ignores raises without delay and builtins it has no use for; keeps named actions in order', () => {
    const plan = planEffects({
      ...base,
      actions: [
        { type: 'chargeMinute', params: { minute: 1 } },
        raise('x', undefined),
        { type: 'xstate.emit', params: {} },
        { type: 'settleCall', params: { callId: '42' } },
      ],
    });
    expect(plan.effects).toEqual([
      { type: 'effect', name: 'chargeMinute', params: { minute: 1 } },
      { type: 'effect', name: 'settleCall', params: { callId: '42' } },
    ]);
    expect(plan.ignored).toEqual(['xstate.emit']);
  });

  it('a cancel of an armed timer unschedules its job and disarms it', () => {
    const plan = planEffects({
      ...base,
      timers: { 'grace-1': 'call-42-grace-1-v3' },
      actions: [cancel('grace-1')],
    });
    expect(plan.effects).toEqual([{ type: 'unschedule', sendId: 'grace-1', jobId: 'call-42-grace-1-v3' }]);
    expect(plan.timers).toEqual({});
  });

  it('a cancel of a timer that is not armed does nothing', () => {
    const plan = planEffects({ ...base, actions: [cancel('nope')] });
    expect(plan.effects).toEqual([]);
  });

  it('raise then cancel in the same transition leaves nothing to do', () => {
    const plan = planEffects({ ...base, actions: [raise('a', 5), cancel('a')] });
    expect(plan.effects).toEqual([]);
    expect(plan.timers).toEqual({});
  });

  it('re-raising an armed id (state re-entered) replaces the old job with a new one', () => {
    const plan = planEffects({
      ...base,
      timers: { 'xstate.after.200.door.open': 'room-1-xstate.after.200.door.open-v5' },
      actions: [cancel('xstate.after.200.door.open'), raise('xstate.after.200.door.open', 200)],
    });
    expect(plan.effects.map((e) => [e.type, 'jobId' in e ? e.jobId : ''])).toEqual([
      ['unschedule', 'room-1-xstate.after.200.door.open-v5'],
      ['schedule', 'call-42-xstate.after.200.door.open-v7'],
    ]);
  });

  it('anonymous raises get ids from their position', () => {
    const plan = planEffects({ ...base, actions: [raise(undefined, 5), raise(undefined, 6)] });
    expect(Object.keys(plan.timers)).toEqual(['anon.0', 'anon.1']);
  });

  it('a final state unschedules every timer still armed', () => {
    const plan = planEffects({ ...base, final: true, timers: { 'minute-9': 'j9' }, actions: [] });
    expect(plan.effects).toEqual([{ type: 'unschedule', sendId: 'minute-9', jobId: 'j9' }]);
    expect(plan.timers).toEqual({});
  });
});
