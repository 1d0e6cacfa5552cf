import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallSnapshot } from '../../../machines/call.js';
import { queryRows } from '../../../src/db/client.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { eventually } from '../../helpers/clients.js';

const RING_TIMEOUT_MS = 300;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer('call_races', { RING_TIMEOUT_MS: String(RING_TIMEOUT_MS) });
});
afterAll(() => server.close());

const post = (path: string, body: Record<string, unknown>) => server.request('POST', path, { body });

async function pair() {
  const guest = await server.createUser({ role: 'guest', diamond: 1000 });
  const anchor = await server.createUser({ role: 'anchor', unitPrice: 10 });
  return { guest, anchor };
}

async function settledRecord(callId: number) {
  return eventually(async () => {
    const [record] = await queryRows<{ status: number; end_reason: string; minutes: number }>(
      server.context.database.db,
      sql`select status, end_reason, minutes from call_records where id = ${callId}`,
    );
    return record;
  });
}

async function minuteCharges(callId: number): Promise<string[]> {
  const rows = await queryRows<{ idempotency_key: string }>(
    server.context.database.db,
    sql`select idempotency_key from ledger_transactions where reference = ${`call:${callId}`} order by id`,
  );
  return rows.map((row) => row.idempotency_key);
}

describe('races on one call', () => {
  it('two hang-ups at once: exactly one applies, one reason, one record, one minute charged', async () => {
    const { guest, anchor } = await pair();
    const applied = await post('/app/live/callApplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
    });
    await post('/app/live/startCall', { token: anchor.token, targetUserId: guest.userId });
    const [byGuest, byAnchor] = await Promise.all([
      post('/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId }),
      post('/app/live/hangUpMan', { token: anchor.token, targetUserId: guest.userId }),
    ]);
    const statuses = [byGuest.status, byAnchor.status].sort();
    expect(statuses).toEqual([200, 409]);
    const winner = byGuest.status === 200 ? 'hangup_guest' : 'hangup_anchor';
    const record = await settledRecord(applied.body.roomInstanceId);
    expect(record).toEqual({ status: 2, end_reason: winner, minutes: 1 });
    expect(await minuteCharges(applied.body.roomInstanceId)).toEqual([
      `call:${applied.body.roomInstanceId}:minute:1`,
    ]);
    const history = await server.context.runtime.history('call', String(applied.body.roomInstanceId));
    expect(history.filter((entry) => entry.event.type === 'HANGUP')).toHaveLength(1);
  });

  it('a reply racing the ring timeout ends in exactly one consistent state', async () => {
    const outcomes: string[] = [];
    for (const offset of [-60, -20, 0, 20, 60]) {
      const { guest, anchor } = await pair();
      const applied = await post('/app/live/callApplyMan', {
        token: anchor.token,
        targetUserId: guest.userId,
      });
      await new Promise((resolve) => setTimeout(resolve, RING_TIMEOUT_MS + offset));
      const reply = await post('/app/live/callReplyGirl', {
        token: guest.token,
        targetUserId: anchor.userId,
        reply: 1,
      });
      const callId = String(applied.body.roomInstanceId);
      const history = await server.context.runtime.history('call', callId);
      const accepted = history.some((entry) => entry.event.type === 'ACCEPT');
      if (reply.status === 200) {
        expect(reply.body.state).toBe('accepted');
        expect(accepted).toBe(true);
        await post('/app/live/hangUpMan', { token: anchor.token, targetUserId: guest.userId });
      } else {
        expect(reply.status).toBe(409);
        expect(accepted).toBe(false);
        expect((await settledRecord(Number(callId))).end_reason).toBe('missed');
      }
      outcomes.push(reply.status === 200 ? 'accepted' : 'missed');
      const record = await settledRecord(Number(callId));
      expect(record.minutes).toBe(0);
    }
    // Whichever way each race went, a reply long after the timeout is always too late.
    const { guest, anchor } = await pair();
    await post('/app/live/callApplyMan', { token: anchor.token, targetUserId: guest.userId });
    await new Promise((resolve) => setTimeout(resolve, RING_TIMEOUT_MS + 1_500));
    const late = await post('/app/live/callReplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
      reply: 1,
    });
    expect(late.status).toBe(409);
    expect(outcomes).toHaveLength(5);
  });

  it('a duplicate or late billing job charges nothing extra', async () => {
    const { guest, anchor } = await pair();
    const applied = await post('/app/live/callApplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
    });
    await post('/app/live/startCall', { token: anchor.token, targetUserId: guest.userId });
    const callId = String(applied.body.roomInstanceId);
    const runtime = server.context.runtime;

    // The minute-2 job exists under its deterministic id.
    const job = await runtime.delayed.queue.getJob(`call-${callId}-minute-2`);
    expect(job?.data.event).toMatchObject({ type: 'TICK', minute: 2 });

    // The same tick delivered twice (BullMQ is at-least-once): applied once.
    const first = await runtime.send('call', callId, { type: 'TICK', minute: 2 });
    const again = await runtime.send('call', callId, { type: 'TICK', minute: 2 });
    expect([first.applied, again.applied]).toEqual([true, false]);
    // A late tick for a minute already charged, and one after hang-up.
    expect((await runtime.send('call', callId, { type: 'TICK', minute: 1 })).applied).toBe(false);
    await post('/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
    expect((await runtime.send('call', callId, { type: 'TICK', minute: 3 })).applied).toBe(false);

    // The original minute-2 job, re-added by a stalled worker, changes nothing either.
    if (job) await runtime.delayed.schedule(`${job.id}`, job.data, Date.now());
    const record = await settledRecord(Number(callId));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(record.minutes).toBe(2);
    expect(await minuteCharges(Number(callId))).toEqual([
      `call:${callId}:minute:1`,
      `call:${callId}:minute:2`,
    ]);
    const [balance] = await queryRows<{ balance: string }>(
      server.context.database.db,
      sql`select balance from accounts where user_id = ${guest.userId} and currency = 'diamond'`,
    );
    expect(Number(balance?.balance)).toBe(1000 - 2 * 20);
  });

  it('a process restart mid-ring still ends the call as missed', async () => {
    const first = await startTestServer('call_restart', { RING_TIMEOUT_MS: '1500' });
    const shared = {
      databaseUrl: first.databaseUrl,
      redisPrefix: first.redisPrefix,
      adminToken: first.adminToken,
    };
    let second: TestServer | undefined;
    try {
      const guest = await first.createUser({ role: 'guest', diamond: 100 });
      const anchor = await first.createUser({ role: 'anchor' });
      const applied = await first.request('POST', '/app/live/callApplyGirl', {
        body: { token: guest.token, targetUserId: anchor.userId },
      });
      expect(applied.body.state).toBe('ringing');
      // The process that holds the ringing call goes away before the timeout...
      await first.stop();
      // ...and a new one, started afterwards, fires it.
      second = await startTestServer('call_restart', { RING_TIMEOUT_MS: '1500' }, shared);
      const view = await eventually(async () => {
        const result = await second!.request('POST', '/app/live/getMatchInfo', {
          body: { token: anchor.token, targetUserId: guest.userId },
        });
        return result.body.state === 'settled' ? result.body : null;
      }, 10_000);
      expect(view).toMatchObject({ reason: 'missed', matchStatus: 3 });
      const instance = await second.context.runtime.get('call', String(applied.body.roomInstanceId));
      expect((instance?.snapshot as CallSnapshot | undefined)?.context.endReason).toBe('missed');
    } finally {
      await second?.close();
      await first.close();
    }
  });
});
