/**
 * Random interleavings of calls, billing ticks (on time, duplicated, late, out of order, after the
 * hang-up), real and replayed BullMQ jobs, re-run effects, hang-ups, gifts and grants, against the
 * real server, Postgres and Redis. After every step the money must still add up (auditMoney), every
 * live call must have exactly its started minutes charged, and the diamonds in users' hands plus
 * the platform's revenue must equal what was granted.
 */
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CallContext, CallSnapshot } from '../../machines/call.js';
import { chargeCallMinutes } from '../../src/billing/call-billing.js';
import { settleCall } from '../../src/calls/settlement.js';
import { startTestServer, type TestServer } from '../helpers/app.js';
import {
  auditMoney,
  chargedMinutes,
  post,
  sendTick,
  sqlClient,
} from '../integration/money/money-fixtures.js';

const HOUR = '3600000';
let server: TestServer;
let db: pg.Client;
const gifts: number[] = [];
/** Every diamond the test put into users' hands (starting balances and grants). */
let diamondsGranted = 0;
let keys = 0;

beforeAll(async () => {
  // Timers an hour away: the test is the clock, delivering ticks and jobs itself.
  server = await startTestServer('money_property', {
    BILLING_INTERVAL_MS: HOUR,
    RING_TIMEOUT_MS: HOUR,
    DISCONNECT_GRACE_MS: HOUR,
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  db = await sqlClient(server.databaseUrl);
  for (const cost of [7, 50]) {
    const response = await server.request('POST', '/admin/api/gifts', {
      body: { name: `gift-${cost}`, imgUrl: '', cost },
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    gifts.push(response.body.giftId);
  }
});
afterAll(async () => {
  await db?.end();
  await server?.close();
});

type User = { userId: number; token: string };
interface Run {
  guests: User[];
  anchors: User[];
  /** Calls applied in this run, in order. */
  calls: { id: number; guest: number; anchor: number }[];
  lastGiftKey: Map<number, string>;
  /** Ledger transactions of this run have larger ids. */
  firstTransactionId: number;
}

type Step =
  | { t: 'call'; g: number; a: number }
  | { t: 'tick'; g: number; offset: -1 | 0 | 1 | 2 }
  | { t: 'job'; g: number }
  | { t: 'replayJob'; g: number }
  | { t: 'lateTick'; g: number }
  | { t: 'rerunEffects'; g: number }
  | { t: 'hangup'; g: number; by: 'guest' | 'anchor' }
  | { t: 'gift'; g: number; gift: number; amount: number; key: 'none' | 'new' | 'repeat'; named: boolean }
  | { t: 'grant'; g: number; amount: number };

const party = fc.integer({ min: 0, max: 1 });
const simpleStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('call' as const), g: party, a: party }) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('tick' as const),
      g: party,
      offset: fc.constantFrom(-1 as const, 0 as const, 1 as const, 1 as const, 2 as const),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('job' as const), g: party }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('replayJob' as const), g: party }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('lateTick' as const), g: party }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rerunEffects' as const), g: party }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('hangup' as const),
      g: party,
      by: fc.constantFrom('guest', 'anchor'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('gift' as const),
      g: party,
      gift: party,
      amount: fc.integer({ min: 1, max: 3 }),
      key: fc.constantFrom('none', 'new', 'repeat'),
      named: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('grant' as const),
      g: party,
      amount: fc.integer({ min: 1, max: 200 }),
    }),
  },
);
/**
 * One step, or two at once (a hang-up racing a tick, a gift racing a charge...). Two call applies
 * at once are left out: they race in the calls service's busy claim (reported to the lead), which
 * is not what this test is about.
 */
const step = fc.oneof(
  { weight: 4, arbitrary: simpleStep.map((s) => [s]) },
  {
    weight: 1,
    arbitrary: fc.tuple(simpleStep, simpleStep).filter(([a, b]) => a.t !== 'call' || b.t !== 'call'),
  },
);

async function contextOf(callId: number): Promise<{ state: string; context: CallContext } | null> {
  const instance = await server.context.runtime.get('call', String(callId));
  if (!instance) return null;
  const snapshot = instance.snapshot as CallSnapshot;
  return { state: String(snapshot.value), context: snapshot.context };
}

/** The guest's latest call of this run that has not ended. */
async function activeCallOf(run: Run, g: number) {
  const call = run.calls.filter((c) => c.guest === g).at(-1);
  if (!call) return null;
  const current = await contextOf(call.id);
  return current && (current.state === 'live' || current.state === 'ringing' || current.state === 'accepted')
    ? { ...call, ...current }
    : null;
}

/** Delivers the billing job of a minute: promotes the scheduled one, or delivers a copy (a duplicate). */
async function deliverJob(callId: number, minute: number) {
  const { queue } = server.context.runtime.delayed;
  const jobId = `call-${callId}-minute-${minute}`;
  const job = await queue.getJob(jobId);
  if (job) {
    await job.promote().catch(() => {}); // already waiting or running: it fires anyway
  } else {
    const event = { type: 'TICK', minute, at: Date.now() };
    await queue.add(
      'TICK',
      { kind: 'call', id: String(callId), sendId: `minute-${minute}`, event },
      {
        jobId,
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }
  for (const deadline = Date.now() + 10_000; await queue.getJob(jobId); ) {
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not run`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function perform(run: Run, s: Step): Promise<void> {
  const guest = run.guests[s.g]!;
  const tick = (callId: number, minute: number) => sendTick(server, callId, minute);
  switch (s.t) {
    case 'call': {
      const anchor = run.anchors[s.a]!;
      const applied = await post(server, '/app/live/callApplyGirl', {
        token: guest.token,
        targetUserId: anchor.userId,
      });
      if (applied.status !== 200) return;
      run.calls.push({ id: applied.body.roomInstanceId, guest: s.g, anchor: s.a });
      await post(server, '/app/live/startCall', { token: anchor.token, targetUserId: guest.userId });
      return;
    }
    case 'tick': {
      const call = await activeCallOf(run, s.g);
      if (call) await tick(call.id, call.context.minutesStarted + s.offset);
      return;
    }
    case 'job': {
      const call = await activeCallOf(run, s.g);
      if (call?.state === 'live') await deliverJob(call.id, call.context.minutesStarted + 1);
      return;
    }
    case 'replayJob': {
      const call = await activeCallOf(run, s.g);
      if (call?.state === 'live') await deliverJob(call.id, call.context.minutesStarted);
      return;
    }
    case 'lateTick': {
      const ended = run.calls.filter((c) => c.guest === s.g).at(0);
      const current = ended && (await contextOf(ended.id));
      if (ended && current) await tick(ended.id, current.context.minutesStarted + 1);
      return;
    }
    case 'rerunEffects': {
      // What recovery does after a crash: run a call's charge and settle effects again.
      const call = run.calls.filter((c) => c.guest === s.g).at(-1);
      const current = call && (await contextOf(call.id));
      if (!call || !current) return;
      const { context } = current;
      for (let minute = 1; minute <= context.minutesStarted; minute++) {
        await chargeCallMinutes(server.context.database.db, [
          {
            callId: String(call.id),
            minute,
            guestId: context.guestId,
            anchorId: context.anchorId,
            diamonds: context.unitPriceDiamonds,
            points: context.unitPricePoints,
          },
        ]);
      }
      if (current.state === 'settled') {
        await settleCall({ records: server.context.callRecords }, context);
      }
      return;
    }
    case 'hangup': {
      const call = await activeCallOf(run, s.g);
      if (!call) return;
      const anchor = run.anchors[call.anchor]!;
      if (s.by === 'guest') {
        await post(server, '/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
      } else {
        await post(server, '/app/live/hangUpMan', { token: anchor.token, targetUserId: guest.userId });
      }
      return;
    }
    case 'gift': {
      let requestId: string | undefined;
      if (s.key === 'new') requestId = `p${keys++}`;
      if (s.key === 'repeat') requestId = run.lastGiftKey.get(s.g) ?? `p${keys++}`;
      if (requestId) run.lastGiftKey.set(s.g, requestId);
      await post(server, '/app/live/sendGift', {
        token: guest.token,
        giftId: gifts[s.gift],
        amount: s.amount,
        ...(requestId ? { requestId } : {}),
        ...(s.named ? { targetUserId: run.anchors[s.g]!.userId } : {}),
      });
      return;
    }
    case 'grant': {
      const granted = await server.request('POST', `/admin/api/users/${guest.userId}/grants`, {
        body: { currency: 'diamond', amount: s.amount, key: `pg${keys++}` },
        headers: { authorization: `Bearer ${server.adminToken}` },
      });
      if (granted.status === 201) diamondsGranted += s.amount;
    }
  }
}

/** After every step: the run's part of the books; after every run: all of them. */
async function checkInvariants(run: Run, everything = false): Promise<void> {
  const scope = {
    userIds: [...run.guests, ...run.anchors].map((user) => user.userId),
    callIds: run.calls.map((call) => call.id),
    sinceTransactionId: run.firstTransactionId,
  };
  expect(await auditMoney(db, everything ? undefined : scope)).toEqual([]);
  for (const call of run.calls) {
    const current = await contextOf(call.id);
    if (current?.state !== 'live') continue;
    const started = current.context.minutesStarted;
    expect(await chargedMinutes(db, call.id)).toEqual(Array.from({ length: started }, (_, i) => i + 1));
  }
  const { rows } = await db.query(
    `select coalesce(sum(balance) filter (where user_id is not null), 0) + coalesce(sum(balance) filter (where platform = 'revenue'), 0) as supply
       from accounts where currency = 'diamond'`,
  );
  expect(Number(rows[0].supply)).toBe(diamondsGranted);
}

async function newRun(balances: number[], prices: number[]): Promise<Run> {
  const guests: User[] = [];
  const anchors: User[] = [];
  for (const diamond of balances) {
    guests.push(await server.createUser({ role: 'guest', diamond }));
    diamondsGranted += diamond;
  }
  for (const unitPrice of prices) anchors.push(await server.createUser({ role: 'anchor', unitPrice }));
  const { rows } = await db.query('select coalesce(max(id), 0)::int as id from ledger_transactions');
  return { guests, anchors, calls: [], lastGiftKey: new Map(), firstTransactionId: rows[0].id };
}

it('keeps every diamond accounted for under random interleavings of calls, ticks, jobs, hang-ups and gifts', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 2, maxLength: 2 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 2, maxLength: 2 }),
      fc.array(step, { minLength: 4, maxLength: 24, size: 'max' }),
      async (balances, prices, steps) => {
        const run = await newRun(balances, prices);
        // Each run starts with both guests calling, so most steps have a live call to act on.
        const opening: Step[][] = [[{ t: 'call', g: 0, a: 0 }], [{ t: 'call', g: 1, a: 1 }]];
        for (const group of [...opening, ...steps]) {
          await Promise.all(group.map((s) => perform(run, s)));
          await checkInvariants(run);
        }
        // Hang everything up: every call settles with a record equal to its charges.
        for (let g = 0; g < run.guests.length; g++) await perform(run, { t: 'hangup', g, by: 'guest' });
        for (const call of run.calls) expect((await contextOf(call.id))?.state).toBe('settled');
        await checkInvariants(run, true);
      },
    ),
    { numRuns: 120 },
  );
}, 180_000);
