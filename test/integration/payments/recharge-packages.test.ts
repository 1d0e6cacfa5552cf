/** The default recharge packages a fresh install sells, against the real Postgres. */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { rechargePackages } from '../../../src/db/schema/index.js';
import {
  createRechargePackagesRepository,
  DEFAULT_PACKAGES,
} from '../../../src/payments/recharge-packages.repository.js';
import { createMigratedDatabase } from '../../helpers/database.js';

let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
beforeAll(async () => {
  database = await createMigratedDatabase('recharge_packages');
});
afterAll(async () => {
  await database.drop();
});

describe('recharge packages', () => {
  it('inserts the defaults once per currency, even when several processes list them at once', async () => {
    const { db } = database.database;
    const processes = Array.from({ length: 4 }, () => createRechargePackagesRepository(db));
    const lists = await Promise.all(processes.map((repository) => repository.listActive('gold')));
    for (const list of lists)
      expect(list.map((pkg) => pkg.amount)).toEqual(DEFAULT_PACKAGES.map((p) => p.amount));
    await processes[0]!.listActive('diamond');
    const counts = await queryRows<{ currency: string; n: number }>(
      db,
      sql`select currency, count(*)::int as n from recharge_packages group by currency order by currency`,
    );
    expect(counts).toEqual([
      { currency: 'diamond', n: DEFAULT_PACKAGES.length },
      { currency: 'gold', n: DEFAULT_PACKAGES.length },
    ]);
  });

  it('never overrules an operator who retired packages, and finds only active ones of the currency', async () => {
    const { db } = database.database;
    await db.update(rechargePackages).set({ active: false });
    const fresh = createRechargePackagesRepository(db);
    expect(await fresh.listActive('gold')).toEqual([]);
    const [custom] = await db
      .insert(rechargePackages)
      .values({ currency: 'gold', amount: 99, priceFen: 990, sortOrder: 0 })
      .returning();
    expect((await fresh.listActive('gold')).map((pkg) => pkg.id)).toEqual([custom!.id]);
    expect(await fresh.findActive(custom!.id, 'gold')).toMatchObject({ amount: 99 });
    expect(await fresh.findActive(custom!.id, 'diamond')).toBeNull();
  });
});
