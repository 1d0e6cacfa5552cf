/**
 * Typed handles (`runtime.of(kind)`) and registered kinds: what the services use instead of the
 * runtime's string-keyed calls and snapshot casts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { defineMachine, machineKind } from '../../../src/runtime/index.js';
import { doorMachine, doorView } from './door-machine.js';
import { DOOR, newId, runtimeHarness } from './harness.js';

const h = runtimeHarness('handle');
afterAll(() => h.cleanup());

describe('a typed machine handle', () => {
  it('creates, sends and reads its kind with the machine’s context and the kind’s view', async () => {
    const doors = h.runtime().of(DOOR);
    const id = newId();
    const created = await doors.create(id, { closeMs: 60_000 }, { actor: 'u1' });
    expect(created.view).toEqual({ state: 'closed', count: 0, opens: 0 });
    const opened = await doors.send(id, { type: 'OPEN' }, { actor: 'u1' });
    expect(opened).toMatchObject({ applied: true, version: 2 });
    expect(opened.snapshot.context.opens).toBe(1);
    expect(await doors.context(id)).toEqual({ count: 0, opens: 1, bells: 0, closeMs: 60_000 });
    expect(await doors.context('no-such-door')).toBeNull();
    expect((await doors.history(id)).map((record) => record.event.type)).toEqual(['xstate.init', 'OPEN']);
    expect(await doors.list()).toContain(id);
  });

  it('can be made before its kind is registered, and works once it is', async () => {
    const rt = h.runtime({ options: { definitions: [] } });
    const late = machineKind<typeof doorMachine, ReturnType<typeof doorView>>('late_door');
    const doors = rt.of(late);
    await expect(doors.create(newId(), { closeMs: 1_000 })).rejects.toThrow(
      /unknown machine kind 'late_door'/,
    );
    rt.register(defineMachine({ kind: late, machine: doorMachine, view: doorView, effects: {} }));
    expect(rt.kinds()).toEqual(['late_door']);
    const created = await doors.create(newId(), { closeMs: 1_000 });
    expect(created.snapshot.value).toBe('closed');
  });

  it('refuses a kind registered twice, or after the worker started', () => {
    const rt = h.runtime();
    const door = () => defineMachine({ kind: DOOR, machine: doorMachine, view: doorView, effects: {} });
    expect(() => rt.register(door())).toThrow(/already registered/);
    const other = h.runtime({ options: { definitions: [] } });
    other.startWorker();
    expect(() => other.register(door())).toThrow(/before startWorker/);
  });

  it('shows the last transition and the one that entered the current state', async () => {
    const rt = h.runtime();
    const doors = rt.of(DOOR);
    const id = newId();
    await doors.create(id, { closeMs: 60_000 });
    await doors.send(id, { type: 'OPEN' });
    await doors.send(id, { type: 'INC' });
    const recent = await rt.recentHistory('door', id);
    expect(recent.last?.event.type).toBe('INC');
    expect(recent.entered?.event.type).toBe('OPEN');
  });
});
