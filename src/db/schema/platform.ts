import { bigint, index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { users } from './users.js';

/** Operator-editable settings served to the apps (QLive get_configs, share info, mini-program switches). */
export const appConfigs = pgTable('app_configs', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** QLive likes: one row while `user_id` likes `target_user_id`. */
export const likes = pgTable(
  'likes',
  {
    userId: bigint('user_id', { mode: 'number' })
      .notNull()
      .references(() => users.id),
    targetUserId: bigint('target_user_id', { mode: 'number' })
      .notNull()
      .references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.userId, table.targetUserId] }),
    index('likes_target_idx').on(table.targetUserId),
  ],
);

/** Mini-program form ids for template messages; WeChat accepts them for 7 days. */
export const messageForms = pgTable(
  'message_forms',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    userId: bigint('user_id', { mode: 'number' })
      .notNull()
      .references(() => users.id),
    moduleName: text('module_name', { enum: ['login', 'pay', 'main'] }).notNull(),
    formId: text('form_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (table) => [index('message_forms_user_idx').on(table.userId, table.moduleName, table.expiresAt)],
);

/** Every operator action (who, what, when), for accountability. */
export const adminActions = pgTable(
  'admin_actions',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** Which admin credential acted (a fingerprint of the token, never the token). */
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    targetKind: text('target_kind').notNull(),
    targetId: text('target_id').notNull(),
    payload: jsonb('payload').notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('admin_actions_target_idx').on(table.targetKind, table.targetId)],
);

/**
 * This database's identity, one row made by its migration. A Redis key prefix records it when a
 * server first uses the prefix, so another database's server cannot run this one's timers.
 */
export const deploymentIdentity = pgTable('deployment_identity', {
  key: text('key').primaryKey(),
  id: text('id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
