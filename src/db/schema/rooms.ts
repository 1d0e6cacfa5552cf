import { sql } from 'drizzle-orm';
import { bigint, index, pgSequence, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
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

/**
 * RoomService rooms (`/weapp/live_room/`) that are not a paid call's, while they are open: the room
 * itself lives only in its `live_room` machine in Redis, and this row is what Postgres knows of it,
 * so a room Redis lost can still be closed and its IM group destroyed (src/roomservice/lost-live-rooms.ts).
 * A call's room needs no row: its call's first minute names it. A room id may be used again once
 * its room is closed; at most one open row per id.
 */
export const roomServiceRooms = pgTable(
  'roomservice_rooms',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    roomId: text('room_id').notNull(),
    /** The RoomService user id that created it. */
    creator: text('creator').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    /** The machine's close reason (`destroyed`, `empty`, …), or `state_lost`. */
    closeReason: text('close_reason'),
  },
  (table) => [
    uniqueIndex('roomservice_rooms_open_key').on(table.roomId).where(sql`${table.closedAt} is null`),
  ],
);
