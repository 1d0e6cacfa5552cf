import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallSnapshot } from '../../../machines/call.js';
import type { TestServer } from '../../helpers/app.js';
import { eventually } from '../../helpers/clients.js';
import {
  balance,
  chargedMinutes,
  closeMoneyServer,
  liveCall,
  openMoneyServer,
  pairOf,
  post,
  sendTick,
} from './money-fixtures.js';

// Billing jobs are an hour away: this file fires them (or sends their events) itself.
let server: TestServer;
let db: pg.Client;

beforeAll(async () => {
  ({ server, db } = await openMoneyServer('money_billing', { BILLING_INTERVAL_MS: '3600000' }));
});
afterAll(async () => {
  await closeMoneyServer({ server, db });
});

const tick = (callId: number, minute: number) => sendTick(server, callId, minute);

async function minutesStarted(callId: number): Promise<number> {
  const instance = await server.context.runtime.get('call', String(callId));
  return (instance!.snapshot as CallSnapshot).context.minutesStarted;
}

async function platformBalance(platform: string, currency: string): Promise<number> {
  const { rows } = await db.query('select balance from accounts where platform = $1 and currency = $2', [
    platform,
    currency,
  ]);
  return Number(rows[0]?.balance ?? 0);
}

/** Promotes the delayed BullMQ job of a minute so the real worker fires it now; waits until it ran. */
async function fireMinuteJob(callId: number, minute: number) {
  const { queue } = server.context.runtime.delayed;
  const jobId = `call-${callId}-minute-${minute}`;
  const job = await queue.getJob(jobId);
  if (!job) throw new Error(`no job ${jobId}`);
  const data = job.data;
  await job.promote();
  await eventually(async () => !(await queue.getJob(jobId)));
  return { jobId, data };
}

describe('per-minute billing', () => {
  it('charges nothing for calls that never went live', async () => {
    const { guest, anchor } = await pairOf(server, { diamond: 500 });
    const cancelled = await post(server, '/app/live/callApplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
    });
    await post(server, '/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
    const refused = await eventually(async () => {
      const answer = await post(server, '/app/live/callApplyMan', {
        token: anchor.token,
        targetUserId: guest.userId,
      });
      return answer.status === 200 ? answer : null;
    });
    await post(server, '/app/live/callReplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
      reply: 2,
    });
    for (const callId of [cancelled.body.roomInstanceId, refused.body.roomInstanceId]) {
      // A billing event for a call that never went live is ignored too.
      expect((await tick(callId, 1)).applied).toBe(false);
      expect(await chargedMinutes(db, callId)).toEqual([]);
      const { rows } = await db.query(
        'select status, minutes, diamonds, points from call_records where id = $1',
        [callId],
      );
      expect(rows).toEqual([{ status: 1, minutes: 0, diamonds: '0', points: '0' }]);
    }
    expect(await balance(db, guest.userId, 'diamond')).toBe(500);
  });

  it('charges the first minute when the call goes live: the guest pays diamonds, the anchor earns points', async () => {
    const { guest, anchor } = await pairOf(server, { diamond: 500, unitPrice: 30 });
    const revenue = await platformBalance('revenue', 'diamond');
    const issued = await platformBalance('issuance', 'point');
    const callId = await liveCall(server, guest, anchor);
    expect(await chargedMinutes(db, callId)).toEqual([1]);
    expect(await balance(db, guest.userId, 'diamond')).toBe(440);
    expect(await balance(db, anchor.userId, 'point')).toBe(30);
    // The platform keeps the guest's 60 diamonds and issued the anchor's 30 points.
    expect(await platformBalance('revenue', 'diamond')).toBe(revenue + 60);
    expect(await platformBalance('issuance', 'point')).toBe(issued - 30);
    await post(server, '/app/live/hangUpMan', { token: anchor.token, targetUserId: guest.userId });
  });

  it('charges each minute once when its job fires, and nothing for a job that fires twice, late or after the hang-up', async () => {
    const { guest, anchor } = await pairOf(server, { diamond: 1000, unitPrice: 10 });
    const callId = await liveCall(server, guest, anchor);

    const fired = await fireMinuteJob(callId, 2);
    expect(await chargedMinutes(db, callId)).toEqual([1, 2]);
    // BullMQ is at-least-once: the same job delivered again finds its timer disarmed.
    const { queue } = server.context.runtime.delayed;
    const duplicate = await queue.add('TICK', fired.data, { jobId: fired.jobId });
    await eventually(async () => (await queue.getJob(fired.jobId))?.finishedOn);
    expect((await queue.getJob(fired.jobId))?.returnvalue).toMatchObject({
      applied: false,
      reason: 'stale-timer',
    });
    await duplicate.remove();
    // The same minute sent again, an old one, and one that skips ahead are all refused by the machine.
    for (const minute of [2, 1, 4]) expect((await tick(callId, minute)).applied).toBe(false);
    expect(await chargedMinutes(db, callId)).toEqual([1, 2]);

    await fireMinuteJob(callId, 3);
    expect(await chargedMinutes(db, callId)).toEqual([1, 2, 3]);
    expect(await minutesStarted(callId)).toBe(3);

    const hungUp = await post(server, '/app/live/hangUpGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
    });
    expect(hungUp.body).toMatchObject({ state: 'ended', reason: 'hangup_guest' });
    // Hanging up removed minute 4's job; its event arriving anyway changes nothing.
    expect(await server.context.runtime.delayed.queue.getJob(`call-${callId}-minute-4`)).toBeUndefined();
    expect((await tick(callId, 4)).applied).toBe(false);
    expect(await chargedMinutes(db, callId)).toEqual([1, 2, 3]);
    expect(await balance(db, guest.userId, 'diamond')).toBe(1000 - 3 * 20);
    const { rows } = await db.query('select minutes, diamonds, points from call_records where id = $1', [
      callId,
    ]);
    expect(rows).toEqual([{ minutes: 3, diamonds: '60', points: '30' }]);
  });

  it('charges a started minute whose charge died with its process when the call is settled, once', async () => {
    const { guest, anchor } = await pairOf(server, { diamond: 1000, unitPrice: 10 });
    const callId = await liveCall(server, guest, anchor);
    // Fault injection: minute 2's ledger write fails, as if the process died before it ran.
    const key = `call:${callId}:minute:2`;
    await db.query(`create or replace function fail_minute() returns trigger language plpgsql as $$
      begin if new.idempotency_key = '${key}' then raise exception 'injected fault'; end if; return new; end $$`);
    await db.query(
      'create trigger fail_minute before insert on ledger_transactions for each row execute function fail_minute()',
    );
    try {
      const result = await tick(callId, 2);
      expect(result).toMatchObject({ applied: true, effectsPending: true });
    } finally {
      await db.query('drop trigger fail_minute on ledger_transactions');
    }
    expect(await chargedMinutes(db, callId)).toEqual([1]);

    await post(server, '/app/live/hangUpMan', { token: anchor.token, targetUserId: guest.userId });
    expect(await chargedMinutes(db, callId)).toEqual([1, 2]);
    // The failed effect is run again by recovery, after the settlement: it charges nothing more.
    await server.context.runtime.recoverPending({ olderThanMs: 0 });
    expect(await chargedMinutes(db, callId)).toEqual([1, 2]);
    const screen = await post(server, '/app/live/getCallResultMaster', {
      token: anchor.token,
      roomInstanceId: callId,
    });
    expect(screen.body).toMatchObject({ callTime: '2分钟', callPoint: '获得20积分' });
  });

  it('applies a new unit price to the next call, never to the live one', async () => {
    const { guest, anchor } = await pairOf(server, { diamond: 1000, unitPrice: 30 });
    const first = await liveCall(server, guest, anchor);
    const updated = await post(server, '/app/user/updateUnitPrice', { token: anchor.token, unitPrice: 50 });
    expect(updated.body).toMatchObject({ code: 0, unitPrice: 50 });
    await tick(first, 2);
    await post(server, '/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
    expect(await balance(db, guest.userId, 'diamond')).toBe(1000 - 2 * 60);
    const firstScreen = await post(server, '/app/live/getCallResultGuest', {
      token: guest.token,
      roomInstanceId: first,
    });
    expect(firstScreen.body).toMatchObject({ unitPrice: '60钻石/分钟', callDiamond: '消耗120钻石' });

    const master = await post(server, '/app/live/getMasterInfo', {
      token: guest.token,
      masterId: anchor.userId,
    });
    expect(master.body).toMatchObject({ unitPrice: '50积分', unitPriceDiamond: '100钻石' });
    const second = await eventually(async () => {
      const applied = await post(server, '/app/live/callApplyGirl', {
        token: guest.token,
        targetUserId: anchor.userId,
      });
      return applied.status === 200 ? applied.body.roomInstanceId : null;
    });
    await post(server, '/app/live/startCall', { token: anchor.token, targetUserId: guest.userId });
    await post(server, '/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
    const secondScreen = await post(server, '/app/live/getCallResultMaster', {
      token: anchor.token,
      roomInstanceId: second,
    });
    expect(secondScreen.body).toMatchObject({ unitPrice: '50积分/分钟', callPoint: '获得50积分' });
    expect(await balance(db, guest.userId, 'diamond')).toBe(1000 - 2 * 60 - 100);
  });
});
