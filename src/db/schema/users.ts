import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

export const USER_ROLES = ['guest', 'anchor', 'matchmaker'] as const;
export type UserRole = (typeof USER_ROLES)[number];
export const BAN_STATES = ['none', 'account', 'stream'] as const;
export type BanState = (typeof BAN_STATES)[number];

export const users = pgTable(
  'users',
  {
    // Client apps treat ids as longs and show them; eight digits look like the ids they were built against.
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity({ startWith: 10_000_001 }),
    role: text('role', { enum: USER_ROLES }).notNull(),
    nickname: text('nickname').notNull().default(''),
    age: integer('age').notNull().default(0),
    /** 0 unknown, 1 male, 2 female (WeChat's convention). */
    gender: smallint('gender').notNull().default(0),
    headImg: text('head_img').notNull().default(''),
    area: text('area').notNull().default(''),
    height: integer('height').notNull().default(0),
    wechatOpenid: text('wechat_openid'),
    wechatUnionid: text('wechat_unionid'),
    /** An anchor's price in points per minute; read when a call is created, so a change never touches a live call. */
    unitPrice: integer('unit_price').notNull().default(30),
    /** 1 hidden from the anchors' guest list, 0 shown (paid-call `display`). */
    display: smallint('display').notNull().default(0),
    banState: text('ban_state', { enum: BAN_STATES }).notNull().default('none'),
    banMessage: text('ban_message').notNull().default(''),
    warnMessage: text('warn_message').notNull().default(''),
    /** A QLive matchmaker's Tencent IM group (AVChatRoom, id assigned by Tencent), kept across broadcasts; null until created. */
    imGroupId: text('im_group_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('users_wechat_openid_key').on(table.wechatOpenid),
    index('users_role_idx').on(table.role),
    check('users_gender_check', sql`${table.gender} in (0, 1, 2)`),
    check('users_display_check', sql`${table.display} in (0, 1)`),
    check('users_unit_price_check', sql`${table.unitPrice} > 0`),
  ],
);

/** API tokens. Only a SHA-256 of the token is stored: a leaked table gives nobody a session. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    userId: bigint('user_id', { mode: 'number' })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('api_tokens_hash_key').on(table.tokenHash),
    index('api_tokens_user_idx').on(table.userId),
  ],
);

export type User = typeof users.$inferSelect;
