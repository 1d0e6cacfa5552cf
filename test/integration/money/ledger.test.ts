import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminGrant, balanceOf, postMovement } from '../../../src/billing/ledger.js';
import type { Db } from '../../../src/db/client.js';
import { users } from '../../../src/db/schema/index.js';
import { createMigratedDatabase, type TestDatabase } from '../../helpers/database.js';
import { auditMoney, sqlClient } from './money-fixtures.js';

let database: TestDatabase & { database: { db: Db } };
let db: Db;

beforeAll(async () => {
  database = await createMigratedDatabase('money_ledger');
  db = database.database.db;
});
afterAll(async () => {
  const client = await sqlClient(database.url);
  expect(await auditMoney(client)).toEqual([]);
  await client.end();
  await database.drop();
});

async function userWith(diamonds: number): Promise<number> {
  const [user] = await db.insert(users).values({ role: 'guest' }).returning({ id: users.id });
  if (diamonds > 0) await postMovement(db, adminGrant(user!.id, 'diamond', diamonds, `seed:${user!.id}`));
  return user!.id;
}

const spend = (userId: number, amount: number, key: string) =>
  postMovement(db, {
    key,
    kind: 'gift',
    legs: [
      { account: { userId }, currency: 'diamond', amount: -amount },
      { account: { platform: 'revenue' }, currency: 'diamond', amount },
    ],
  });

describe('the ledger', () => {
  it('never lets concurrent debits take a balance below zero', async () => {
    const userId = await userWith(100);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => spend(userId, 30, `race:${userId}:${i}`)),
    );
    const applied = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    expect(applied).toHaveLength(3);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ kind: 'payment_required' });
    }
    expect(await balanceOf(db, userId, 'diamond')).toBe(10);
  });

  it('moves money once per idempotency key, however often or concurrently it is posted', async () => {
    const userId = await userWith(100);
    const results = await Promise.all([1, 2, 3, 4].map(() => spend(userId, 40, `once:${userId}`)));
    expect(results.filter((result) => result.applied)).toHaveLength(1);
    expect(new Set(results.map((result) => result.transactionId)).size).toBe(1);
    expect(await balanceOf(db, userId, 'diamond')).toBe(60);
  });

  it('rolls a failed movement back whole: no entry, no transaction, no partial credit', async () => {
    const payer = await userWith(5);
    const payee = await userWith(0);
    await expect(
      postMovement(db, {
        key: `partial:${payer}`,
        kind: 'gift',
        legs: [
          { account: { userId: payee }, currency: 'diamond', amount: 50 },
          { account: { userId: payer }, currency: 'diamond', amount: -50 },
        ],
      }),
    ).rejects.toMatchObject({ kind: 'payment_required' });
    expect(await balanceOf(db, payee, 'diamond')).toBe(0);
    expect(await balanceOf(db, payer, 'diamond')).toBe(5);
    const rows = await db.execute(
      sql`select 1 from ledger_transactions where idempotency_key = ${`partial:${payer}`}`,
    );
    expect((rows as unknown as { rows: unknown[] }).rows).toEqual([]);
  });

  it('refuses legs that do not sum to zero, and the database refuses a negative user balance', async () => {
    const userId = await userWith(10);
    await expect(
      postMovement(db, {
        key: `unbalanced:${userId}`,
        kind: 'gift',
        legs: [
          { account: { userId }, currency: 'diamond', amount: -5 },
          { account: { platform: 'revenue' }, currency: 'diamond', amount: 4 },
        ],
      }),
    ).rejects.toThrow(/sum to -1/);
    // The CHECK constraint is the backstop behind the conditional update.
    await expect(
      db.execute(sql`update accounts set balance = -1 where user_id = ${userId} and currency = 'diamond'`),
    ).rejects.toMatchObject({ cause: { constraint: 'accounts_balance_check' } });
    expect(await balanceOf(db, userId, 'diamond')).toBe(10);
  });
});
