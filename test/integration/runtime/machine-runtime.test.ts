/**
 * The hot path against real Redis: create / send / get / history, illegal events, concurrent
 * senders in several "processes" (runtimes with their own clients), final states.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors.js';
import type { EffectContext, FinalRecord, TransitionNotice } from '../../../src/runtime/index.js';
import { instanceKeys } from '../../../src/runtime/keys.js';
import { type Kind, newId, type RecordParams, runtimeHarness } from './harness.js';

const h = runtimeHarness('runtime');
afterAll(() => h.cleanup());

describe('machine runtime', () => {
  it('creates, sends, gets and records history', async () => {
    const effects: EffectContext<RecordParams>[] = [];
    const notices: TransitionNotice<Kind>[] = [];
    const rt = h.runtime({
      record: async (ctx) => {
        effects.push(ctx);
      },
      onTransition: (n) => {
        notices.push(n);
      },
    });
    const id = newId();
    const created = await rt.create('door', id, { closeMs: 60_000 }, { actor: 'u1', at: 1_000 });
    expect(created.version).toBe(1);
    expect(created.view).toEqual({ state: 'closed', count: 0, opens: 0 });

    const inc = await rt.send('door', id, { type: 'INC' }, { actor: 'u2' });
    expect(inc).toMatchObject({ applied: true, version: 2, effectsPending: false });
    expect(inc.view).toEqual({ state: 'closed', count: 1, opens: 0 });

    const opened = await rt.send('door', id, { type: 'OPEN', at: 5_000 });
    expect(opened.snapshot.value).toBe('open');
    expect(opened.version).toBe(3);

    const got = await rt.get('door', id);
    expect(got?.version).toBe(3);
    expect(got?.snapshot.context).toEqual({ count: 1, opens: 1, bells: 0, closeMs: 60_000 });
    expect(got?.snapshot.matches('open')).toBe(true);

    // named effects ran in order, with params, the event and a stable idempotency key
    expect(effects.map((e) => [e.type, e.params, e.version, e.idempotencyKey, e.recovered])).toEqual([
      ['record', { what: 'inc', count: 1 }, 2, `door:${id}:v2:0`, false],
      ['record', { what: 'opened', count: 1 }, 3, `door:${id}:v3:0`, false],
    ]);
    expect(effects[1]?.event).toEqual({ type: 'OPEN', at: 5_000 });

    const history = await rt.history('door', id);
    expect(history.map((r) => [r.version, r.event.type, r.from, r.to, r.actor])).toEqual([
      [1, 'xstate.init', null, 'closed', 'u1'],
      [2, 'INC', 'closed', 'closed', 'u2'],
      [3, 'OPEN', 'closed', 'open', 'system'],
    ]);
    expect(history[0]?.at).toBe(1_000);
    expect(history[2]?.at).toBe(5_000);
    // `at` stamped by the runtime when the caller gave none
    expect(Math.abs((history[1]?.at ?? 0) - Date.now())).toBeLessThan(5_000);

    expect(notices.map((n) => [n.version, n.event.type, n.from, n.to, n.view])).toEqual([
      [1, 'xstate.init', null, 'closed', { state: 'closed', count: 0, opens: 0 }],
      [2, 'INC', 'closed', 'closed', { state: 'closed', count: 1, opens: 0 }],
      [3, 'OPEN', 'closed', 'open', { state: 'open', count: 1, opens: 1 }],
    ]);

    expect(await rt.listActive('door')).toContain(id);
    expect(await rt.get('door', newId('missing'))).toBeNull();
  });

  it('an effect that sends the next event itself: the older notice comes last and says superseded', async () => {
    const notices: TransitionNotice<Kind>[] = [];
    const rt = h.runtime({
      record: async ({ id, params }) => {
        if (params.what === 'opened') await rt.send('door', id, { type: 'CLOSE' }, { actor: 'effect' });
      },
      onTransition: (n) => void notices.push(n),
    });
    const id = newId();
    await rt.create('door', id, {});
    const opened = await rt.send('door', id, { type: 'OPEN' });
    expect(opened).toMatchObject({ applied: true, version: 2 });
    expect((await rt.get('door', id))?.snapshot.value).toBe('closed');
    expect(notices.map((n) => [n.version, n.to, n.superseded])).toEqual([
      [1, 'closed', false],
      [3, 'closed', false],
      [2, 'open', true],
    ]);
  });

  it('hands each transition the updates its definition declares, without the superseded state', async () => {
    const notices: TransitionNotice<Kind>[] = [];
    const rt = h.runtime({
      record: async ({ id, params }) => {
        if (params.what === 'opened') await rt.send('door', id, { type: 'CLOSE' }, { actor: 'effect' });
      },
      // One update that carries the state, one that does not.
      updates: ({ event, view, version, created, final }) => [
        {
          audience: { userId: 1 },
          event: 'room:update',
          payload: { view, version, created, final },
          latest: true,
        },
        { audience: { userId: 1 }, event: 'wallet:update', payload: { event: event.type } },
      ],
      onTransition: (n) => void notices.push(n),
    });
    const id = newId();
    await rt.create('door', id, {});
    await rt.send('door', id, { type: 'OPEN' });
    expect(notices.map((n) => [n.version, n.updates.map((u) => ('event' in u ? u.payload : u))])).toEqual([
      [
        1,
        [
          { view: { state: 'closed', count: 0, opens: 0 }, version: 1, created: true, final: false },
          { event: 'xstate.init' },
        ],
      ],
      [
        3,
        [
          { view: { state: 'closed', count: 0, opens: 1 }, version: 3, created: false, final: false },
          { event: 'CLOSE' },
        ],
      ],
      // Version 2's own state was overtaken before it could go: only what does not carry it.
      [2, [{ event: 'OPEN' }]],
    ]);
  });

  it('a second create of the same id is a conflict and changes nothing', async () => {
    const rt = h.runtime();
    const id = newId();
    await rt.create('door', id, {});
    await rt.send('door', id, { type: 'INC' });
    const err = await rt.create('door', id, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).statusCode).toBe(409);
    expect((await rt.get('door', id))?.snapshot.context.count).toBe(1);
    expect(await rt.history('door', id)).toHaveLength(2);
  });

  it('an illegal event is not applied and changes nothing', async () => {
    const calls: string[] = [];
    const rt = h.runtime({ record: async (ctx) => void calls.push(ctx.params.what) });
    const id = newId();
    await rt.create('door', id, {});
    const before = await h.client().hgetall(instanceKeys(h.prefix, 'door', id).machine);

    const result = await rt.send('door', id, { type: 'CLOSE' });
    expect(result).toMatchObject({ applied: false, reason: 'not-accepted', version: 1 });
    expect(result.snapshot.value).toBe('closed');

    const after = await h.client().hgetall(instanceKeys(h.prefix, 'door', id).machine);
    expect(after).toEqual(before);
    expect(await rt.history('door', id)).toHaveLength(1);
    expect(calls).toEqual([]);
  });

  it('a send from a state read earlier applies on top of what changed since, never over it', async () => {
    const rt = h.runtime({ record: async () => {} });
    const id = newId();
    await rt.create('door', id, {});
    const read = await rt.get('door', id);
    await rt.send('door', id, { type: 'INC' });

    // The basis is one version behind: the save notices, re-reads, and counts on top of the INC.
    const result = await rt.send('door', id, { type: 'INC' }, { basis: read! });
    expect(result).toMatchObject({ applied: true, version: 3 });
    expect(result.snapshot.context.count).toBe(2);

    // A basis read from another instance (at the same version, so the save alone would not notice)
    // is not used for this one.
    const other = newId();
    await rt.create('door', other, {});
    await rt.send('door', other, { type: 'INC' });
    await rt.send('door', other, { type: 'OPEN' });
    const otherRead = await rt.get('door', other);
    expect(otherRead?.version).toBe(3);
    const mixed = await rt.send('door', id, { type: 'INC' }, { basis: otherRead! });
    expect(mixed).toMatchObject({ applied: true, version: 4 });
    expect(mixed.snapshot.value).toBe('closed');
    expect(mixed.snapshot.context.count).toBe(3);
  });

  it('sending to an unknown instance is a 404; a bad id a 400', async () => {
    const rt = h.runtime();
    const missing = await rt.send('door', newId('nobody'), { type: 'INC' }).catch((e: unknown) => e);
    expect((missing as AppError).statusCode).toBe(404);
    const bad = await rt.send('door', 'a:b}', { type: 'INC' }).catch((e: unknown) => e);
    expect((bad as AppError).statusCode).toBe(400);
  });

  it('refuses xstate.* events from outside: only its own timers may send them', async () => {
    const rt = h.runtime();
    const id = newId();
    await rt.create('door', id, {});
    await rt.send('door', id, { type: 'OPEN' });
    const forged = await rt
      .send('door', id, { type: 'xstate.after.closeDelay.door.open' })
      .catch((e: unknown) => e);
    expect((forged as AppError).statusCode).toBe(400);
    expect((await rt.get('door', id))?.snapshot.value).toBe('open');
  });

  it('50 concurrent sends from 5 processes each apply exactly once', async () => {
    const seen: number[] = [];
    const runtimes = Array.from({ length: 5 }, () =>
      h.runtime({ record: async (ctx) => void seen.push(ctx.params.count) }),
    );
    const id = newId();
    await runtimes[0]?.create('door', id, {});

    const conflictsBefore = h.logs.filter((l) => l.msg === 'machine version conflict, retrying').length;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        runtimes[i % 5]?.send('door', id, { type: 'INC' }, { actor: `p${i}` }),
      ),
    );
    expect(results.every((r) => r?.applied)).toBe(true);
    // the races really happened: losers reloaded and retried
    const conflicts =
      h.logs.filter((l) => l.msg === 'machine version conflict, retrying').length - conflictsBefore;
    expect(conflicts).toBeGreaterThan(0);
    // every send saw its own version: no two applied on the same snapshot
    expect(new Set(results.map((r) => r?.version)).size).toBe(50);

    const final = await runtimes[4]?.get('door', id);
    expect(final?.snapshot.context.count).toBe(50);
    expect(final?.version).toBe(51);

    const history = await runtimes[2]?.history('door', id);
    const incs = history?.filter((r) => r.event.type === 'INC') ?? [];
    expect(incs).toHaveLength(50);
    expect(new Set(incs.map((r) => r.actor)).size).toBe(50);
    expect(incs.map((r) => r.version)).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
    // each increment's effect ran once, with the count it produced
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('two concurrent final events: exactly one applies; onFinal once, then expiry and out of the active index', async () => {
    const finals: FinalRecord<Kind>[] = [];
    const onFinal = async (r: FinalRecord<Kind>) => void finals.push(r);
    const a = h.runtime({ onFinal, options: { finishedTtlMs: 120_000 } });
    const b = h.runtime({ onFinal, options: { finishedTtlMs: 120_000 } });
    const id = newId();
    await a.create('door', id, {});
    await a.send('door', id, { type: 'INC' });

    const [ra, rb] = await Promise.all([
      a.send('door', id, { type: 'FINISH' }, { actor: 'a' }),
      b.send('door', id, { type: 'FINISH' }, { actor: 'b' }),
    ]);
    expect([ra.applied, rb.applied].sort()).toEqual([false, true]);
    expect([ra, rb].find((r) => !r.applied)?.reason).toBe('not-accepted');

    expect(finals).toHaveLength(1);
    expect(finals[0]).toMatchObject({
      kind: 'door',
      id,
      version: 3,
      view: { state: 'finished', count: 1, opens: 0 },
    });
    expect(finals[0]?.snapshot.status).toBe('done');
    expect(finals[0]?.history.map((r) => r.event.type)).toEqual(['xstate.init', 'INC', 'FINISH']);

    const redis = h.client();
    const machineTtl = await redis.pttl(instanceKeys(h.prefix, 'door', id).machine);
    const historyTtl = await redis.pttl(instanceKeys(h.prefix, 'door', id).history);
    expect(machineTtl).toBeGreaterThan(100_000);
    expect(machineTtl).toBeLessThanOrEqual(120_000);
    expect(historyTtl).toBeGreaterThan(100_000);
    expect(await a.listActive('door')).not.toContain(id);
    expect(await redis.zscore(instanceKeys(h.prefix, 'door', id).outbox, `door:${id}`)).toBeNull();

    // late polls still answer; nothing is accepted any more (not even root-level INC)
    expect((await b.get('door', id))?.snapshot.status).toBe('done');
    expect(await b.send('door', id, { type: 'INC' })).toMatchObject({ applied: false, version: 3 });
    expect(finals).toHaveLength(1);
  });

  it('lists active instances, most recently updated first', async () => {
    const rt = h.runtime();
    const [x, y] = [newId('x'), newId('y')];
    await rt.create('door', x, {});
    await rt.create('door', y, {});
    await new Promise((r) => setTimeout(r, 5));
    await rt.send('door', x, { type: 'INC' });
    const active = await rt.listActive('door');
    expect(active.indexOf(x)).toBeLessThan(active.indexOf(y));
  });
});
