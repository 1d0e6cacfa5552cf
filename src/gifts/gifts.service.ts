import { asc, count, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type Gift, gifts } from '../db/schema/index.js';
import { notFound } from '../errors.js';

export interface NewGift {
  name: string;
  imgUrl: string;
  cost: number;
  effect?: string | undefined;
}

export function createGiftsService(db: Db) {
  return {
    async create(input: NewGift): Promise<Gift> {
      const [gift] = await db
        .insert(gifts)
        .values({ name: input.name, imgUrl: input.imgUrl, cost: input.cost, effect: input.effect ?? '' })
        .returning();
      return gift!;
    },
    async listActive(): Promise<Gift[]> {
      return db.select().from(gifts).where(eq(gifts.active, true)).orderBy(asc(gifts.id));
    },
    async page(offset: number, limit: number): Promise<{ total: number; gifts: Gift[] }> {
      const [counted] = await db.select({ total: count() }).from(gifts).where(eq(gifts.active, true));
      const rows = await db
        .select()
        .from(gifts)
        .where(eq(gifts.active, true))
        .orderBy(asc(gifts.id))
        .offset(offset)
        .limit(limit);
      return { total: counted?.total ?? 0, gifts: rows };
    },
    async get(giftId: number): Promise<Gift> {
      const [gift] = await db.select().from(gifts).where(eq(gifts.id, giftId));
      if (!gift?.active) throw notFound(`no gift ${giftId}`, 'giftId');
      return gift;
    },
  };
}

export type GiftsService = ReturnType<typeof createGiftsService>;
