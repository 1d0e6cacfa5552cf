/**
 * Crashes and restarts against real Redis: effects left pending by a failure or a dead process
 * are re-run by `recoverPending` without applying anything twice, and delayed jobs survive a
 * runtime being replaced.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { delayedJobId } from '../../../src/runtime/index.js';
import { instanceKeys } from '../../../src/runtime/keys.js';
import { newId, runtimeHarness, sleep, waitFor } from './harness.js';

const h = runtimeHarness('recovery');
afterAll(() => h.cleanup());

const AFTER = 'xstate.after.closeDelay.door.open';
const outboxScore = (id: string) =>
  h.client().zscore(instanceKeys(h.prefix, 'door', id).outbox, `door:${id}`);

describe('recovery', () => {
  it('an effect that throws leaves the batch pending; recoverPending runs it again, nothing applied twice', async () => {
    const calls: string[] = [];
    let failOnce = true;
    const rt = h.runtime({
      record: async ({ params, recovered }) => {
        calls.push(`${params.what}${recovered ? ' (recovered)' : ''}`);
        if (params.what === 'opened' && failOnce) {
          failOnce = false;
          throw new Error('ledger down');
        }
      },
      // Only recoverPending runs it again here (the process's own retry has its test below).
      options: { retryFailedMs: 0 },
    });
    rt.startWorker();
    const id = newId();
    await rt.create('door', id, { closeMs: 100 });

    const opened = await rt.send('door', id, { type: 'OPEN' });
    expect(opened).toMatchObject({ applied: true, effectsPending: true, version: 2 });
    expect(h.logs.some((l) => l.level === 'error' && l.msg?.includes('left for recovery'))).toBe(true);
    // the schedule after the failing effect did not run: no timer yet
    const jobId = delayedJobId('door', id, AFTER, 2);
    expect(await rt.delayed.queue.getJob(jobId)).toBeUndefined();
    expect(await outboxScore(id)).not.toBeNull();

    // too young for the default threshold
    expect((await rt.recoverPending()).batches).toBe(0);

    const report = await rt.recoverPending({ olderThanMs: 0 });
    expect(report).toEqual({ instances: 1, batches: 1, failed: 0 });
    expect(calls).toEqual(['opened', 'opened (recovered)']);
    expect(await outboxScore(id)).toBeNull();

    // the recovered schedule fires; the OPEN itself was applied once
    await waitFor(async () => (await rt.get('door', id))?.snapshot.value === 'closed', 3_000, 'door closed');
    const history = await rt.history('door', id);
    expect(history.map((r) => r.event.type)).toEqual(['xstate.init', 'OPEN', AFTER]);
    expect((await rt.recoverPending({ olderThanMs: 0 })).batches).toBe(0);
  });

  it('an effect that fails on the live path is run again by the same process, soon, until it succeeds', async () => {
    const calls: string[] = [];
    let failures = 2;
    const rt = h.runtime({
      record: async ({ params, recovered }) => {
        calls.push(`${params.what}${recovered ? ' (recovered)' : ''}`);
        if (params.what === 'opened' && failures > 0) {
          failures--;
          throw new Error('redis master restarting');
        }
      },
      // Far beyond the test: only the process's own retry can run the batch again.
      options: { recoverAfterMs: 600_000 },
    });
    rt.startWorker();
    const id = newId();
    await rt.create('door', id, { closeMs: 100 });
    const opened = await rt.send('door', id, { type: 'OPEN' });
    expect(opened).toMatchObject({ applied: true, effectsPending: true, version: 2 });

    // The timer the failed batch did not schedule is scheduled by the retry, and fires.
    await waitFor(async () => (await rt.get('door', id))?.snapshot.value === 'closed', 10_000, 'door closed');
    expect(calls).toEqual(['opened', 'opened (recovered)', 'opened (recovered)']);
    expect(await outboxScore(id)).toBeNull();
    expect((await rt.history('door', id)).map((r) => r.event.type)).toEqual(['xstate.init', 'OPEN', AFTER]);
    expect((await rt.recoverPending({ olderThanMs: 0 })).batches).toBe(0);
  });

  it('a process that dies between save and effects: another one recovers the effects', async () => {
    const hang = new Promise<never>(() => {});
    const crashing = h.runtime({ record: () => hang });
    const id = newId();
    await crashing.create('door', id, { closeMs: 100 });
    // the save happens, then the process "dies" inside its first effect
    void crashing.send('door', id, { type: 'OPEN' });

    const calls: string[] = [];
    const survivor = h.runtime({
      record: async ({ params, recovered }) => void calls.push(`${params.what}:${recovered}`),
    });
    survivor.startWorker();
    await waitFor(async () => (await survivor.get('door', id))?.version === 2, 2_000, 'OPEN saved');
    expect(await outboxScore(id)).not.toBeNull();

    await sleep(60);
    const report = await survivor.recoverPending({ olderThanMs: 50 });
    expect(report.batches).toBe(1);
    expect(calls).toEqual(['opened:true']);

    // the timer the dead process never scheduled is scheduled by the recovery and fires
    await waitFor(
      async () => (await survivor.get('door', id))?.snapshot.value === 'closed',
      3_000,
      'door closed',
    );
    expect((await survivor.get('door', id))?.version).toBe(3);
    expect((await survivor.history('door', id)).filter((r) => r.event.type === 'OPEN')).toHaveLength(1);

    // a claimed instance is skipped by a concurrent recovery until it is old again
    expect((await survivor.recoverPending({ olderThanMs: 0 })).batches).toBe(0);
  });

  it('two recoveries at once claim an instance only once', async () => {
    const calls: string[] = [];
    let fail = true;
    const rt = h.runtime({
      record: async ({ params }) => {
        calls.push(params.what);
        if (fail) throw new Error('down');
      },
      options: { retryFailedMs: 0 },
    });
    const other = h.runtime({ record: async ({ params }) => void calls.push(`other:${params.what}`) });
    const id = newId();
    await rt.create('door', id, { closeMs: 60_000 });
    await rt.send('door', id, { type: 'INC' });
    fail = false;
    await sleep(20);
    const [a, b] = await Promise.all([
      rt.recoverPending({ olderThanMs: 10 }),
      other.recoverPending({ olderThanMs: 10 }),
    ]);
    expect(a.batches + b.batches).toBe(1);
    expect(calls).toHaveLength(2);
  });

  it('a delayed job outlives the runtime that scheduled it', async () => {
    const first = h.runtime();
    const id = newId();
    await first.create('door', id, { closeMs: 300 });
    await first.send('door', id, { type: 'OPEN' });
    await first.close(); // no worker ever ran in this "process"

    const second = h.runtime();
    second.startWorker();
    await waitFor(
      async () => (await second.get('door', id))?.snapshot.value === 'closed',
      3_000,
      'door closed',
    );
    const last = (await second.history('door', id)).at(-1);
    expect(last).toMatchObject({ actor: 'timer', event: { type: AFTER } });
  });

  it('onFinal that fails is retried by recovery; the expiry is set only after it succeeded', async () => {
    let attempts = 0;
    const rt = h.runtime({
      onFinal: async () => {
        attempts++;
        if (attempts === 1) throw new Error('postgres down');
      },
      options: { retryFailedMs: 0 },
    });
    const id = newId();
    await rt.create('door', id, {});
    const finished = await rt.send('door', id, { type: 'FINISH' });
    expect(finished).toMatchObject({ applied: true, effectsPending: true });
    const redis = h.client();
    expect(await redis.pttl(instanceKeys(h.prefix, 'door', id).machine)).toBe(-1);
    expect(await rt.listActive('door')).toContain(id);

    expect((await rt.recoverPending({ olderThanMs: 0 })).failed).toBe(0);
    expect(attempts).toBe(2);
    expect(await redis.pttl(instanceKeys(h.prefix, 'door', id).machine)).toBeGreaterThan(0);
    expect(await rt.listActive('door')).not.toContain(id);
    expect((await rt.recoverPending({ olderThanMs: 0 })).batches).toBe(0);
    expect(attempts).toBe(2);
  });

  it('periodic recovery runs from startWorker({ recoverEveryMs })', async () => {
    let fail = true;
    const calls: boolean[] = [];
    const rt = h.runtime({
      record: async ({ recovered }) => {
        calls.push(recovered);
        if (fail) throw new Error('down');
      },
      options: { recoverAfterMs: 50, retryFailedMs: 0 },
    });
    const id = newId();
    await rt.create('door', id, {});
    await rt.send('door', id, { type: 'INC' });
    fail = false;
    rt.startWorker({ recoverEveryMs: 30 });
    await waitFor(async () => (await outboxScore(id)) === null, 3_000, 'outbox cleared');
    expect(calls).toEqual([false, true]);
  });
});
