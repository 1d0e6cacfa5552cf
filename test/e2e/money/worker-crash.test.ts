import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/clients.js';
import { type Cluster, postTo, startCluster } from '../../helpers/cluster.js';
import { auditMoney, balance, chargedMinutes, sqlClient } from '../../integration/money/money-fixtures.js';

const BILLING_INTERVAL_MS = 800;
let cluster: Cluster;
let db: pg.Client;

beforeAll(async () => {
  cluster = await startCluster('money_crash', 1, { BILLING_INTERVAL_MS: String(BILLING_INTERVAL_MS) });
  db = await sqlClient(cluster.databaseUrl);
}, 120_000);
afterAll(async () => {
  await db?.end();
  await cluster?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a server process killed in the middle of a paid call', () => {
  it('loses no minute and charges none twice once another process takes over', async () => {
    const first = cluster.processes[0]!;
    const admin = { authorization: `Bearer ${cluster.adminToken}` };
    const guest = (await postTo(first, '/admin/api/users', { role: 'guest', diamond: 100_000 }, admin)).body;
    const anchor = (await postTo(first, '/admin/api/users', { role: 'anchor', unitPrice: 10 }, admin)).body;
    const applied = await postTo(first, '/app/live/callApplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
    });
    const callId: number = applied.body.roomInstanceId;
    const started = await postTo(first, '/app/live/startCall', {
      token: anchor.token,
      targetUserId: guest.userId,
    });
    expect(started.body.state).toBe('live');

    // Kill it half-way through minute 2, when no billing job is running, then leave nobody to bill
    // for more than two minutes: minutes 3 and 4 come due while no process is alive.
    await eventually(async () => (await chargedMinutes(db, callId)).length >= 2, 10_000);
    await sleep(BILLING_INTERVAL_MS / 2);
    await first.kill();
    const chargedAtDeath = await chargedMinutes(db, callId);
    await sleep(BILLING_INTERVAL_MS * 2.5);
    expect(await chargedMinutes(db, callId)).toEqual(chargedAtDeath);

    const second = await cluster.spawn();
    // The overdue minutes are charged at once, then billing goes on as before.
    await eventually(
      async () => (await chargedMinutes(db, callId)).length >= chargedAtDeath.length + 4,
      20_000,
    );
    const hungUp = await postTo(second, '/app/live/hangUpGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
    });
    expect(hungUp.body).toMatchObject({ code: 0, state: 'ended', reason: 'hangup_guest' });

    const screen = await eventually(async () => {
      const answer = await postTo(second, '/app/live/getCallResultGuest', {
        token: guest.token,
        roomInstanceId: callId,
      });
      return answer.status === 200 ? answer.body : null;
    });
    const minutes = await chargedMinutes(db, callId);
    // Every minute from 1 to the last one started, each exactly once.
    expect(minutes).toEqual(Array.from({ length: minutes.length }, (_, i) => i + 1));
    expect(screen).toMatchObject({
      callTime: `${minutes.length}分钟`,
      callDiamond: `消耗${20 * minutes.length}钻石`,
      diamond: String(100_000 - 20 * minutes.length),
    });
    expect(await balance(db, guest.userId, 'diamond')).toBe(100_000 - 20 * minutes.length);
    expect(await balance(db, anchor.userId, 'point')).toBe(10 * minutes.length);
    expect(await auditMoney(db)).toEqual([]);
  }, 90_000);
});
