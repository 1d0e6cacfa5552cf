import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { users } from './users.js';

/** What a user can buy: `amount` of `currency` (QLive gold or paid-call diamonds) for `price_fen` cents. */
export const rechargePackages = pgTable(
  'recharge_packages',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    currency: text('currency', { enum: ['gold', 'diamond'] }).notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    priceFen: integer('price_fen').notNull(),
    active: boolean('active').notNull().default(true),
    sortOrder: integer('sort_order').notNull().default(0),
  },
  (table) => [check('recharge_packages_positive', sql`${table.amount} > 0 and ${table.priceFen} > 0`)],
);

export const ORDER_STATUSES = ['pending', 'paid', 'failed', 'closed'] as const;

/**
 * One WeChat Pay order. It credits its package exactly once, when a verified notification for
 * `out_trade_no` with the right amount arrives (ledger key `pay:<out_trade_no>`).
 */
export const rechargeOrders = pgTable(
  'recharge_orders',
  {
    outTradeNo: text('out_trade_no').primaryKey(),
    userId: bigint('user_id', { mode: 'number' })
      .notNull()
      .references(() => users.id),
    packageId: bigint('package_id', { mode: 'number' })
      .notNull()
      .references(() => rechargePackages.id),
    currency: text('currency', { enum: ['gold', 'diamond'] }).notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    priceFen: integer('price_fen').notNull(),
    status: text('status', { enum: ORDER_STATUSES }).notNull().default('pending'),
    prepayId: text('prepay_id'),
    /** WeChat's transaction_id, once paid. */
    transactionId: text('transaction_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    paidAt: timestamp('paid_at', { withTimezone: true }),
  },
  (table) => [
    index('recharge_orders_user_idx').on(table.userId, table.createdAt),
    uniqueIndex('recharge_orders_transaction_key').on(table.transactionId),
  ],
);
