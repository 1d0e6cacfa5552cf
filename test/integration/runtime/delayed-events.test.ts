/**
 * Timers through BullMQ against real Redis: `after` and named delayed raises fire and are applied,
 * cancels remove their job, duplicate jobs run once, and late or stale jobs change nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { delayedJobId } from '../../../src/runtime/index.js';
import { newId, runtimeHarness, sleep, waitFor } from './harness.js';

const h = runtimeHarness('delayed');
afterAll(() => h.cleanup());

const AFTER = 'xstate.after.closeDelay.door.open';
const rt = h.runtime();
rt.startWorker();

const jobGone = (jobId: string) => async () => (await rt.delayed.queue.getJob(jobId)) === undefined;

describe('delayed events', () => {
  it('an `after` timer becomes a delayed job that fires and is applied', async () => {
    const id = newId();
    await rt.create('door', id, { closeMs: 200 });
    const opened = await rt.send('door', id, { type: 'OPEN', at: Date.now() });
    const jobId = delayedJobId('door', id, AFTER, opened.version);
    expect(jobId).toBe(`door-${id}-${AFTER}-v2`);

    const job = await rt.delayed.queue.getJob(jobId);
    expect(await job?.getState()).toBe('delayed');
    expect(job?.data).toMatchObject({ kind: 'door', id, sendId: AFTER, event: { type: AFTER } });

    const closed = await waitFor(async () => (await rt.get('door', id))?.snapshot.value === 'closed', 3_000);
    expect(closed).toBe(true);
    const history = await rt.history('door', id);
    const last = history.at(-1);
    expect(last).toMatchObject({
      version: 3,
      from: 'open',
      to: 'closed',
      actor: 'timer',
      event: { type: AFTER },
    });
    // the delayed event carries its due time as `at`
    expect(last?.event.at).toBe((history[1]?.at ?? 0) + 200);
    await waitFor(jobGone(jobId), 2_000, 'completed job removed');
  });

  it('a named delayed raise keeps its id in the job id', async () => {
    const id = newId();
    await rt.create('door', id, { closeMs: 100 });
    await rt.send('door', id, { type: 'RING' });
    expect(await rt.delayed.queue.getJob(`door-${id}-bell-1-v2`)).toBeDefined();
    await waitFor(
      async () => (await rt.get('door', id))?.snapshot.context.bells === 1,
      3_000,
      'BELL applied',
    );
  });

  it('a cancel removes the job and the timer never fires', async () => {
    const id = newId();
    await rt.create('door', id, { closeMs: 250 });
    const opened = await rt.send('door', id, { type: 'OPEN' });
    const jobId = delayedJobId('door', id, AFTER, opened.version);
    expect(await rt.delayed.queue.getJob(jobId)).toBeDefined();

    await rt.send('door', id, { type: 'CLOSE' });
    expect(await rt.delayed.queue.getJob(jobId)).toBeUndefined();
    await sleep(450);
    const state = await rt.get('door', id);
    expect(state?.version).toBe(3);
    expect((await rt.history('door', id)).map((r) => r.event.type)).toEqual(['xstate.init', 'OPEN', 'CLOSE']);
  });

  it('a job added twice with the same id runs once', async () => {
    const id = newId();
    await rt.create('door', id, { closeMs: 300 });
    await rt.send('door', id, { type: 'RING' });
    const jobId = `door-${id}-bell-1-v2`;
    const original = await rt.delayed.queue.getJob(jobId);
    // what re-running the outbox entry does: the same add again
    await rt.delayed.schedule(jobId, original?.data ?? ({} as never), Date.now() + 300);
    const delayed = await rt.delayed.queue.getDelayed();
    expect(delayed.filter((j) => j.id === jobId)).toHaveLength(1);

    await waitFor(
      async () => (await rt.get('door', id))?.snapshot.context.bells === 1,
      3_000,
      'BELL applied',
    );
    await waitFor(jobGone(jobId), 2_000, 'job removed');
    await sleep(200);
    const bells = (await rt.history('door', id)).filter((r) => r.event.type === 'BELL');
    expect(bells).toHaveLength(1);
  });

  it('a job that comes back after it ran (removed, re-added) is not applied: its timer is disarmed', async () => {
    const id = newId();
    await rt.create('door', id, { closeMs: 50 });
    await rt.send('door', id, { type: 'RING' });
    const jobId = `door-${id}-bell-1-v2`;
    const data = (await rt.delayed.queue.getJob(jobId))?.data;
    await waitFor(async () => (await rt.get('door', id))?.version === 3, 3_000, 'BELL applied');
    await waitFor(jobGone(jobId), 2_000, 'job removed');

    // BullMQ accepts the id again once the job is gone (at-least-once / outbox re-run)...
    await rt.delayed.schedule(jobId, data ?? ({} as never), Date.now());
    expect(await rt.delayed.queue.getJob(jobId)).toBeDefined();
    await waitFor(jobGone(jobId), 2_000, 're-added job processed');
    // ...but BELL, although the machine would accept it, is not applied twice
    const state = await rt.get('door', id);
    expect(state?.version).toBe(3);
    expect(state?.snapshot.context.bells).toBe(1);
  });

  it('a job firing after the state moved on changes nothing', async () => {
    const id = newId();
    await rt.create('door', id, { closeMs: 400 });
    const first = await rt.send('door', id, { type: 'OPEN' });
    const firstJob = delayedJobId('door', id, AFTER, first.version);
    const data = (await rt.delayed.queue.getJob(firstJob))?.data;
    await rt.send('door', id, { type: 'CLOSE' });
    const second = await rt.send('door', id, { type: 'OPEN' });
    expect(second.version).toBe(4);

    // The first opening's timer shows up anyway (say its removal raced with the worker): the event
    // is the very `after` event the re-opened door accepts, but its timer is no longer armed.
    await rt.delayed.schedule(firstJob, data ?? ({} as never), Date.now());
    await waitFor(jobGone(firstJob), 2_000, 'stale job processed');
    const state = await rt.get('door', id);
    expect(state?.snapshot.value).toBe('open');
    expect(state?.version).toBe(4);

    // the live timer of the second opening still closes it
    await waitFor(async () => (await rt.get('door', id))?.snapshot.value === 'closed', 3_000, 'door closed');
    expect((await rt.get('door', id))?.version).toBe(5);
  });

  it('a timer of a finished instance is unscheduled, and a late one is ignored', async () => {
    const id = newId();
    await rt.create('door', id, { closeMs: 300 });
    await rt.send('door', id, { type: 'RING' });
    const bellJob = `door-${id}-bell-1-v2`;
    const data = (await rt.delayed.queue.getJob(bellJob))?.data;
    const finished = await rt.send('door', id, { type: 'FINISH' });
    expect(finished.snapshot.status).toBe('done');
    // `bell-1` was never cancelled by the machine: the final state disarms and removes it
    expect(await rt.delayed.queue.getJob(bellJob)).toBeUndefined();

    await rt.delayed.schedule(bellJob, data ?? ({} as never), Date.now());
    await waitFor(jobGone(bellJob), 2_000, 'late job processed');
    expect((await rt.get('door', id))?.version).toBe(3);
  });
});
