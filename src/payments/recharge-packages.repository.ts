import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rechargePackages } from '../db/schema/index.js';

export type RechargeCurrency = 'gold' | 'diamond';
export type RechargePackage = typeof rechargePackages.$inferSelect;

/**
 * What a fresh install sells until an operator edits `recharge_packages`: 10 units per yuan, the
 * price points WeChat users know from other apps (¥6 … ¥648). Inserted the first time a currency's
 * packages are listed and the table has none of that currency (active or not), so an operator who
 * retires every package is never overruled.
 */
export const DEFAULT_PACKAGES: readonly { amount: number; priceFen: number }[] = [
  { amount: 60, priceFen: 600 },
  { amount: 300, priceFen: 3_000 },
  { amount: 680, priceFen: 6_800 },
  { amount: 1_280, priceFen: 12_800 },
  { amount: 3_280, priceFen: 32_800 },
  { amount: 6_480, priceFen: 64_800 },
];

export function createRechargePackagesRepository(db: Db) {
  const seeded = new Set<RechargeCurrency>();

  async function ensureDefaults(currency: RechargeCurrency): Promise<void> {
    if (seeded.has(currency)) return;
    await db.transaction(async (tx) => {
      // Two processes listing at once on an empty table must not both insert the defaults.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('recharge_packages_defaults'))`);
      const [existing] = await tx
        .select({ total: count() })
        .from(rechargePackages)
        .where(eq(rechargePackages.currency, currency));
      if ((existing?.total ?? 0) > 0) return;
      await tx
        .insert(rechargePackages)
        .values(DEFAULT_PACKAGES.map((pkg, index) => ({ ...pkg, currency, sortOrder: index })));
    });
    seeded.add(currency);
  }

  return {
    async listActive(currency: RechargeCurrency): Promise<RechargePackage[]> {
      await ensureDefaults(currency);
      return db
        .select()
        .from(rechargePackages)
        .where(and(eq(rechargePackages.currency, currency), eq(rechargePackages.active, true)))
        .orderBy(asc(rechargePackages.sortOrder), asc(rechargePackages.id));
    },

    async findActive(id: number, currency: RechargeCurrency): Promise<RechargePackage | null> {
      await ensureDefaults(currency);
      const [pkg] = await db
        .select()
        .from(rechargePackages)
        .where(
          and(
            eq(rechargePackages.id, id),
            eq(rechargePackages.currency, currency),
            eq(rechargePackages.active, true),
          ),
        );
      return pkg ?? null;
    },
  };
}

export type RechargePackagesRepository = ReturnType<typeof createRechargePackagesRepository>;
