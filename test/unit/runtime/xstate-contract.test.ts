/**
 * Pins down what xstate 5.33's pure `initialTransition` / `transition` return and how a snapshot
 * survives JSON, since the runtime (src/runtime/effect-plan.ts, snapshot-codec.ts) relies on it.
 */
import { describe, expect, it } from 'vitest';
import { createMachine, initialTransition, raise, transition } from 'xstate';
import { decodeSnapshot, encodeSnapshot } from '../../../src/runtime/snapshot-codec.js';
import { doorMachine } from '../../integration/runtime/door-machine.js';

const shapes = (actions: readonly { type: string; params?: unknown }[]) =>
  actions.map(({ type, params }) => ({ type, params }));

describe('xstate action shapes', () => {
  it('initialTransition returns the initial snapshot and no actions for a plain initial state', () => {
    const [snapshot, actions] = initialTransition(doorMachine, { closeMs: 150 });
    expect(snapshot.value).toBe('closed');
    expect(snapshot.context).toEqual({ count: 0, opens: 0, bells: 0, closeMs: 150 });
    expect(actions).toEqual([]);
  });

  it('entering a state with `after` yields named actions and a delayed xstate.raise with the resolved delay', () => {
    const [s0] = initialTransition(doorMachine, { closeMs: 150 });
    const [s1, actions] = transition(doorMachine, s0, { type: 'OPEN', at: 1000 });
    expect(s1.value).toBe('open');
    expect(shapes(actions)).toEqual([
      // `assign` is applied to the snapshot and emits no action
      { type: 'record', params: { what: 'opened', count: 1 } },
      {
        type: 'xstate.raise',
        params: {
          event: { type: 'xstate.after.closeDelay.door.open' },
          id: 'xstate.after.closeDelay.door.open',
          delay: 150,
        },
      },
    ]);
    // info/exec are xstate internals (not JSON); the runtime reads only type and params
    expect(Object.keys(actions[0] ?? {}).sort()).toEqual(['exec', 'info', 'params', 'type']);
  });

  it('leaving the state yields xstate.cancel with the raise id as sendId', () => {
    const [s0] = initialTransition(doorMachine, {});
    const [s1] = transition(doorMachine, s0, { type: 'OPEN' });
    const [s2, actions] = transition(doorMachine, s1, { type: 'CLOSE' });
    expect(s2.value).toBe('closed');
    expect(shapes(actions)).toEqual([
      { type: 'xstate.cancel', params: { sendId: 'xstate.after.closeDelay.door.open' } },
    ]);
  });

  it('the after event itself is accepted only in the state that raised it', () => {
    const [s0] = initialTransition(doorMachine, {});
    const [s1] = transition(doorMachine, s0, { type: 'OPEN' });
    const after = { type: 'xstate.after.closeDelay.door.open' } as never;
    expect(s1.can(after)).toBe(true);
    const [s2, actions] = transition(doorMachine, s1, after);
    expect(s2.value).toBe('closed');
    expect(shapes(actions)).toEqual([
      { type: 'xstate.cancel', params: { sendId: 'xstate.after.closeDelay.door.open' } },
    ]);
    expect(s2.can(after)).toBe(false);
  });

  it('a raise with an explicit id keeps it; the delay is resolved from `delays`', () => {
    const [s0] = initialTransition(doorMachine, { closeMs: 70 });
    const [, actions] = transition(doorMachine, s0, { type: 'RING' });
    expect(shapes(actions)).toEqual([
      { type: 'xstate.raise', params: { event: { type: 'BELL', n: 1 }, id: 'bell-1', delay: 70 } },
    ]);
  });

  it('a raise without delay is still reported, with delay undefined (already handled in the macrostep)', () => {
    const m = createMachine({
      initial: 'a',
      states: { a: { on: { GO: 'b' } }, b: { entry: raise({ type: 'NEXT' }), on: { NEXT: 'c' } }, c: {} },
    });
    const [s0] = initialTransition(m);
    const [s1, actions] = transition(m, s0, { type: 'GO' });
    expect(s1.value).toBe('c');
    expect(shapes(actions)).toEqual([
      { type: 'xstate.raise', params: { event: { type: 'NEXT' }, id: undefined, delay: undefined } },
    ]);
  });

  it('an event the state does not accept: can() is false, the same snapshot and no actions', () => {
    const [s0] = initialTransition(doorMachine, {});
    expect(s0.can({ type: 'CLOSE' })).toBe(false);
    const [s1, actions] = transition(doorMachine, s0, { type: 'CLOSE' });
    expect(s1).toBe(s0);
    expect(actions).toEqual([]);
  });

  it('reaching a final state sets status done, cancelling the timers of the states left', () => {
    const [s0] = initialTransition(doorMachine, {});
    const [s1] = transition(doorMachine, s0, { type: 'OPEN' });
    const [s2, actions] = transition(doorMachine, s1, { type: 'FINISH' });
    expect(s2.status).toBe('done');
    expect(shapes(actions).map((a) => a.type)).toEqual(['xstate.cancel', 'record']);
  });

  it('a done snapshot still answers can() and transition() for root-level handlers: the runtime must check status', () => {
    const [s0] = initialTransition(doorMachine, {});
    const [done] = transition(doorMachine, s0, { type: 'FINISH' });
    // An actor would drop the event (it is stopped); the pure functions do not look at status.
    expect(done.can({ type: 'INC' })).toBe(true);
    const [after, actions] = transition(doorMachine, done, { type: 'INC' });
    expect(after.context.count).toBe(1);
    expect(shapes(actions)).toEqual([{ type: 'record', params: { what: 'inc', count: 1 } }]);
  });
});

describe('snapshot JSON round-trip', () => {
  it('keeps value, context and status, and the restored snapshot transitions like the original', () => {
    const [s0] = initialTransition(doorMachine, { closeMs: 99 });
    const [s1] = transition(doorMachine, s0, { type: 'INC' });
    const [s2] = transition(doorMachine, s1, { type: 'OPEN' });
    const restored = decodeSnapshot(doorMachine, encodeSnapshot(doorMachine, s2));
    expect(restored.value).toBe('open');
    expect(restored.status).toBe('active');
    expect(restored.context).toEqual(s2.context);
    expect(restored.can({ type: 'CLOSE' })).toBe(true);
    const [a] = transition(doorMachine, restored, { type: 'INC' });
    const [b] = transition(doorMachine, s2, { type: 'INC' });
    expect(a.context).toEqual(b.context);
    expect(a.value).toEqual(b.value);
  });

  it('keeps a final status', () => {
    const [s0] = initialTransition(doorMachine, {});
    const [done] = transition(doorMachine, s0, { type: 'FINISH' });
    const restored = decodeSnapshot(doorMachine, encodeSnapshot(doorMachine, done));
    expect(restored.status).toBe('done');
    expect(restored.value).toBe('finished');
  });

  const historyMachine = createMachine({
    id: 'h',
    initial: 'on',
    states: {
      on: {
        initial: 'a',
        states: { a: { on: { NEXT: 'b' } }, b: {}, hist: { type: 'history' } },
        on: { OFF: 'off' },
      },
      off: { on: { ON: 'on.hist' } },
    },
  });

  it('revives history states (restoreSnapshot), which machine.resolveState(json) does not', () => {
    let [s] = initialTransition(historyMachine);
    [s] = transition(historyMachine, s, { type: 'NEXT' });
    [s] = transition(historyMachine, s, { type: 'OFF' });
    const json = encodeSnapshot(historyMachine, s);
    const restored = decodeSnapshot(historyMachine, json);
    expect(transition(historyMachine, restored, { type: 'ON' })[0].value).toEqual({ on: 'b' });

    const resolved = historyMachine.resolveState(JSON.parse(json));
    expect(() => transition(historyMachine, resolved, { type: 'ON' })).toThrow();
  });

  it('refuses a stored snapshot that does not fit the machine', () => {
    expect(() =>
      decodeSnapshot(
        doorMachine,
        JSON.stringify({ status: 'active', value: 'nope', context: {}, children: {} }),
      ),
    ).toThrow(/does not fit/);
  });
});
