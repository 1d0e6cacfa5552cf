import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import { users } from './users.js';

/** Ids of calls (`roomInstanceId`, also the call record's `recordId`): allocated before the machine exists. */
export const callIdSequence = pgSequence('call_id_seq', { startWith: 1_000_001 });

/** The settlement of one call, written once when its machine settles (the machine id is the primary key). */
export const callRecords = pgTable(
  'call_records',
  {
    id: bigint('id', { mode: 'number' }).primaryKey(),
    guestId: bigint('guest_id', { mode: 'number' })
      .notNull()
      .references(() => users.id),
    anchorId: bigint('anchor_id', { mode: 'number' })
      .notNull()
      .references(() => users.id),
    initiator: text('initiator', { enum: ['guest', 'anchor'] }).notNull(),
    /** Prices copied when the call started ringing: a later updateUnitPrice never changes this call. */
    unitPricePoints: integer('unit_price_points').notNull(),
    unitPriceDiamonds: integer('unit_price_diamonds').notNull(),
    /** 1 missed (never live), 2 connected — the apps' own codes. */
    status: smallint('status').notNull(),
    endReason: text('end_reason').notNull(),
    endedBy: text('ended_by'),
    /** Minutes actually paid; equals the call's `call_minute` ledger transactions. */
    minutes: integer('minutes').notNull().default(0),
    diamonds: bigint('diamonds', { mode: 'number' }).notNull().default(0),
    points: bigint('points', { mode: 'number' }).notNull().default(0),
    banTitle: text('ban_title'),
    /** 0 account banned, 2 broadcasting banned (paid-call `streamStatus`); null when no ban ended it. */
    banStreamStatus: smallint('ban_stream_status'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }).notNull(),
  },
  (table) => [
    index('call_records_guest_idx').on(table.guestId, table.createdAt),
    index('call_records_anchor_idx').on(table.anchorId, table.createdAt),
    check('call_records_status_check', sql`${table.status} in (1, 2)`),
    check(
      'call_records_amounts_check',
      sql`${table.minutes} >= 0 and ${table.diamonds} >= 0 and ${table.points} >= 0`,
    ),
  ],
);

/** A finished machine instance (call or room): final snapshot and full transition history, for the admin panel. */
export const machineArchives = pgTable(
  'machine_archives',
  {
    kind: text('kind').notNull(),
    id: text('id').notNull(),
    finalState: text('final_state').notNull(),
    snapshot: jsonb('snapshot').notNull(),
    history: jsonb('history').notNull(),
    archivedAt: timestamp('archived_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.kind, table.id] }),
    index('machine_archives_time_idx').on(table.archivedAt),
  ],
);

export type CallRecord = typeof callRecords.$inferSelect;
