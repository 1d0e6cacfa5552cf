import { sql } from 'drizzle-orm';
import { bigint, boolean, check, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const gifts = pgTable(
  'gifts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    imgUrl: text('img_url').notNull().default(''),
    /** Price of one gift: diamonds in the paid-call app, gold in QLive. */
    cost: bigint('cost', { mode: 'number' }).notNull(),
    /** Animation name the clients play; free text. */
    effect: text('effect').notNull().default(''),
    active: boolean('active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [check('gifts_cost_check', sql`${table.cost} > 0`)],
);

export type Gift = typeof gifts.$inferSelect;
