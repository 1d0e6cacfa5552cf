import { sql } from 'drizzle-orm';
import { bigint, check, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from './users.js';

export const CURRENCIES = ['diamond', 'point', 'gold', 'income'] as const;
export type Currency = (typeof CURRENCIES)[number];

/**
 * Platform accounts are the other side of every movement, so each transaction's entries sum to zero
 * per currency: `revenue` receives what guests pay, `issuance` is where points/income are minted from,
 * `recharge_clearing` is debited by a verified payment and `admin_grants` by an operator's grant.
 * Only platform accounts may go negative (they are sources of money, not holders of it).
 */
export const PLATFORM_ACCOUNTS = ['revenue', 'issuance', 'recharge_clearing', 'admin_grants'] as const;
export type PlatformAccount = (typeof PLATFORM_ACCOUNTS)[number];

export const accounts = pgTable(
  'accounts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    userId: bigint('user_id', { mode: 'number' }).references(() => users.id, { onDelete: 'restrict' }),
    platform: text('platform', { enum: PLATFORM_ACCOUNTS }),
    currency: text('currency', { enum: CURRENCIES }).notNull(),
    /** Integer units of the currency; never negative for a user (the conditional UPDATE is the rule, this CHECK the backstop). */
    balance: bigint('balance', { mode: 'number' }).notNull().default(0),
  },
  (table) => [
    uniqueIndex('accounts_user_currency_key').on(table.userId, table.currency),
    uniqueIndex('accounts_platform_currency_key').on(table.platform, table.currency),
    check('accounts_owner_check', sql`(${table.userId} is null) <> (${table.platform} is null)`),
    check('accounts_balance_check', sql`${table.platform} is not null or ${table.balance} >= 0`),
  ],
);

export const LEDGER_KINDS = ['call_minute', 'gift', 'recharge', 'admin_grant', 'refund'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/** One money movement. `idempotency_key` makes a retried movement (a job run twice) a no-op. */
export const ledgerTransactions = pgTable(
  'ledger_transactions',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    idempotencyKey: text('idempotency_key').notNull(),
    kind: text('kind', { enum: LEDGER_KINDS }).notNull(),
    /** What the movement belongs to, e.g. `call:42`, for statements and the admin panel. */
    reference: text('reference'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('ledger_transactions_key').on(table.idempotencyKey),
    index('ledger_transactions_reference_idx').on(table.reference),
    /** Recent call minutes: the lost-call reconciler looks for calls without a record among them. */
    index('ledger_transactions_call_minute_time_idx')
      .on(table.createdAt)
      .where(sql`${table.kind} = 'call_minute'`),
  ],
);

/** Entries of one transaction sum to zero per currency (checked by the ledger service before commit). */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    transactionId: bigint('transaction_id', { mode: 'number' })
      .notNull()
      .references(() => ledgerTransactions.id, { onDelete: 'restrict' }),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'restrict' }),
    currency: text('currency', { enum: CURRENCIES }).notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
  },
  (table) => [
    index('ledger_entries_transaction_idx').on(table.transactionId),
    index('ledger_entries_account_idx').on(table.accountId),
    check('ledger_entries_amount_check', sql`${table.amount} <> 0`),
  ],
);
