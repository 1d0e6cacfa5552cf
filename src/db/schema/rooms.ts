import { bigint, index, pgSequence, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { users } from './users.js';

/** Ids of QLive live rooms (`live_id`), allocated when a matchmaker opens one. */
export const roomIdSequence = pgSequence('room_id_seq', { startWith: 1 });

/** A QLive live room's lasting record; its live state is the room machine in Redis. */
export const liveRooms = pgTable(
  'live_rooms',
  {
    id: bigint('id', { mode: 'number' }).primaryKey(),
    matchmakerId: bigint('matchmaker_id', { mode: 'number' })
      .notNull()
      .references(() => users.id),
    roomName: text('room_name').notNull(),
    roomImage: text('room_image').notNull().default(''),
    /** Tencent IM group of the room. */
    groupId: text('group_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    endReason: text('end_reason'),
  },
  (table) => [index('live_rooms_matchmaker_idx').on(table.matchmakerId, table.createdAt)],
);
