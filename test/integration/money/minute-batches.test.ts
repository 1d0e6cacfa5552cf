import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargeCallMinutes, type MinuteCharge } from '../../../src/billing/call-billing.js';
import { adminGrant, balanceOf, postMovement } from '../../../src/billing/ledger.js';
import { MinuteChargeBatcher } from '../../../src/billing/minute-charge-batcher.js';
import type { Db } from '../../../src/db/client.js';
import { users } from '../../../src/db/schema/index.js';
import { createMigratedDatabase, type TestDatabase } from '../../helpers/database.js';
import { auditMoney, chargedMinutes, sqlClient } from './money-fixtures.js';

let database: TestDatabase & { database: { db: Db } };
let db: Db;
let client: pg.Client;
let nextCallId = 1_000;

beforeAll(async () => {
  database = await createMigratedDatabase('money_minute_batches');
  db = database.database.db;
  client = await sqlClient(database.url);
});
afterAll(async () => {
  expect(await auditMoney(client)).toEqual([]);
  await client.end();
  await database.drop();
});

async function newUser(role: 'guest' | 'anchor', diamonds = 0): Promise<number> {
  const [user] = await db.insert(users).values({ role }).returning({ id: users.id });
  if (diamonds > 0) await postMovement(db, adminGrant(user!.id, 'diamond', diamonds, `seed:${user!.id}`));
  return user!.id;
}

/** A call between a fresh guest holding `diamonds` and a fresh anchor, priced 20 diamonds / 10 points a minute. */
async function callOf(diamonds: number) {
  const guestId = await newUser('guest', diamonds);
  const anchorId = await newUser('anchor');
  const callId = String(nextCallId++);
  const minute = (n: number): MinuteCharge => ({
    callId,
    minute: n,
    guestId,
    anchorId,
    diamonds: 20,
    points: 10,
  });
  return { callId, guestId, anchorId, minute };
}

/** How many database transactions wrote these calls' minutes (rows written by one share an xmin). */
async function transactionsThatCharged(callIds: string[]): Promise<number> {
  const { rows } = await client.query(
    `select count(distinct xmin::text)::int as n from ledger_transactions
      where kind = 'call_minute' and reference = any($1)`,
    [callIds.map((id) => `call:${id}`)],
  );
  return rows[0].n;
}

describe('charging a batch of call minutes in one statement', () => {
  it('charges each minute of many calls once, and answers each its own outcome and balance', async () => {
    const rich = await callOf(100);
    const poor = await callOf(30);
    const results = await chargeCallMinutes(db, [
      rich.minute(1),
      poor.minute(1),
      rich.minute(2),
      poor.minute(2),
      rich.minute(1),
    ]);
    expect(results).toEqual([
      { outcome: 'charged', guestDiamonds: 80 },
      { outcome: 'charged', guestDiamonds: 10 },
      { outcome: 'charged', guestDiamonds: 60 },
      { outcome: 'insufficient', guestDiamonds: 10 },
      { outcome: 'already', guestDiamonds: 80 },
    ]);
    expect(await chargedMinutes(client, rich.callId)).toEqual([1, 2]);
    expect(await chargedMinutes(client, poor.callId)).toEqual([1]);
    expect(await balanceOf(db, rich.anchorId, 'point')).toBe(20);
    expect(await balanceOf(db, poor.anchorId, 'point')).toBe(10);
    expect(await auditMoney(client)).toEqual([]);
  });

  it('charges nothing again when the same batch runs twice, concurrently or later', async () => {
    const call = await callOf(1_000);
    const batch = [call.minute(1), call.minute(2), call.minute(3)];
    await Promise.all([chargeCallMinutes(db, batch), chargeCallMinutes(db, [...batch].reverse())]);
    const again = await chargeCallMinutes(db, batch);
    expect(again.map((result) => result.outcome)).toEqual(['already', 'already', 'already']);
    expect(await chargedMinutes(client, call.callId)).toEqual([1, 2, 3]);
    expect(await balanceOf(db, call.guestId, 'diamond')).toBe(940);
  });

  it('charges nothing for a call whose record is written', async () => {
    const call = await callOf(100);
    await client.query(
      `insert into call_records (id, guest_id, anchor_id, initiator, unit_price_points, unit_price_diamonds,
         minutes, diamonds, points, status, end_reason, created_at, ended_at)
       values ($1, $2, $3, 'guest', 10, 20, 0, 0, 0, 1, 'cancelled', now(), now())`,
      [call.callId, call.guestId, call.anchorId],
    );
    const [result] = await chargeCallMinutes(db, [call.minute(1)]);
    expect(result).toEqual({ outcome: 'settled', guestDiamonds: 100 });
    expect(await balanceOf(db, call.guestId, 'diamond')).toBe(100);
  });
});

describe('the minute-charge batcher', () => {
  it('charges ticks that come due together in a few transactions, each with its own answer', async () => {
    const calls = await Promise.all(Array.from({ length: 40 }, () => callOf(50)));
    const batcher = new MinuteChargeBatcher(db, { maxInFlight: 1 });
    const results = await Promise.all(
      calls.flatMap((call) => [1, 2, 3].map((minute) => batcher.charge(call.minute(minute)))),
    );
    // 50 diamonds pay two minutes of 20: the third of every call is refused, alone.
    expect(results.map((result) => result.outcome)).toEqual(
      calls.flatMap(() => ['charged', 'charged', 'insufficient']),
    );
    for (const call of calls) expect(await chargedMinutes(client, call.callId)).toEqual([1, 2]);
    expect(await transactionsThatCharged(calls.map((call) => call.callId))).toBeLessThan(10);
  });

  it('still charges the rest of a batch when one charge in it fails', async () => {
    const good = await Promise.all(Array.from({ length: 5 }, () => callOf(100)));
    const bad = await callOf(100);
    const batcher = new MinuteChargeBatcher(db, { maxInFlight: 1 });
    // A zero-diamond leg breaks the ledger's "no zero entries" rule, so the whole statement fails.
    const outcomes = await Promise.allSettled([
      ...good.map((call) => batcher.charge(call.minute(1))),
      batcher.charge({ ...bad.minute(1), diamonds: 0 }),
    ]);
    expect(outcomes.slice(0, 5).map((outcome) => outcome.status)).toEqual(Array(5).fill('fulfilled'));
    expect(outcomes[5]?.status).toBe('rejected');
    for (const call of good) expect(await chargedMinutes(client, call.callId)).toEqual([1]);
    expect(await chargedMinutes(client, bad.callId)).toEqual([]);
    expect(await balanceOf(db, bad.guestId, 'diamond')).toBe(100);
  });

  it('keeps every balance right while gifts move the same accounts', async () => {
    const calls = await Promise.all(Array.from({ length: 20 }, () => callOf(10_000)));
    const batcher = new MinuteChargeBatcher(db);
    const gift = (guestId: number, anchorId: number, n: number) =>
      postMovement(db, {
        key: `gift:batch-test:${guestId}:${n}`,
        kind: 'gift',
        legs: [
          { account: { userId: guestId }, currency: 'diamond', amount: -7 },
          { account: { platform: 'revenue' }, currency: 'diamond', amount: 7 },
          { account: { platform: 'issuance' }, currency: 'point', amount: -3 },
          { account: { userId: anchorId }, currency: 'point', amount: 3 },
        ],
      });
    await Promise.all(
      calls.flatMap((call) =>
        [1, 2, 3, 4, 5].flatMap((n) => [
          batcher.charge(call.minute(n)),
          gift(call.guestId, call.anchorId, n),
        ]),
      ),
    );
    for (const call of calls) {
      expect(await balanceOf(db, call.guestId, 'diamond')).toBe(10_000 - 5 * 20 - 5 * 7);
      expect(await balanceOf(db, call.anchorId, 'point')).toBe(5 * 10 + 5 * 3);
    }
    expect(await auditMoney(client)).toEqual([]);
  });
});
