/**
 * Touching a timer (the heartbeat fast path): one Lua call that needs the timer armed, pushes the
 * timer's event back to touch + delay when its job comes due, and leaves the snapshot alone.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { newId, runtimeHarness, waitFor } from './harness.js';

const h = runtimeHarness('touch');
afterAll(() => h.cleanup());
const rt = h.runtime();
rt.startWorker();

describe('touchTimer', () => {
  it('defers a touched timer to touch + delay, without a transition for the touch', async () => {
    const id = newId();
    await rt.create('door', id, { closeMs: 300 });
    const rung = await rt.send('door', id, { type: 'RING' });
    const touchAt = rung.updatedAt + 250;
    expect(await rt.touchTimer('door', id, 'bell-1', { at: touchAt })).toBe('touched');
    expect((await rt.get('door', id))?.version).toBe(rung.version);

    await waitFor(async () => (await rt.get('door', id))?.snapshot.context.bells === 1, 5_000, 'BELL');
    const bell = (await rt.history('door', id)).find((record) => record.event.type === 'BELL');
    // Applied once, when the touch ran out, not when the first job came due.
    expect(bell?.event.at).toBe(touchAt + 300);
    expect((await rt.history('door', id)).filter((record) => record.event.type === 'BELL')).toHaveLength(1);
  });

  it('fires on time when nothing touched the timer', async () => {
    const id = newId();
    await rt.create('door', id, { closeMs: 100 });
    const ringAt = Date.now();
    await rt.send('door', id, { type: 'RING', at: ringAt });
    await waitFor(async () => (await rt.get('door', id))?.snapshot.context.bells === 1, 5_000, 'BELL');
    const bell = (await rt.history('door', id)).find((record) => record.event.type === 'BELL');
    expect(bell?.event.at).toBe(ringAt + 100);
  });

  it('answers not-armed, missing or mismatch instead of touching', async () => {
    const id = newId();
    await rt.create('door', id, { closeMs: 5_000 });
    expect(await rt.touchTimer('door', id, 'bell-1')).toBe('not-armed');
    expect(await rt.touchTimer('door', newId(), 'bell-1')).toBe('missing');

    await rt.send('door', id, { type: 'RING' });
    expect(await rt.setAttribute('door', id, 'owner', 'alice')).toBe(true);
    expect(await rt.touchTimer('door', id, 'bell-1', { require: { attribute: 'owner', value: 'bob' } })).toBe(
      'mismatch',
    );
    expect(
      await rt.touchTimer('door', id, 'bell-1', { require: { attribute: 'owner', value: 'alice' } }),
    ).toBe('touched');
    expect(await rt.setAttribute('door', newId(), 'owner', 'alice')).toBe(false);
  });
});
