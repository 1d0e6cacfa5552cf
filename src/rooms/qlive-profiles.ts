import { eq, inArray } from 'drizzle-orm';
import { balanceOf } from '../billing/ledger.js';
import type { Db } from '../db/client.js';
import { type User, users } from '../db/schema/index.js';
import { notFound } from '../errors.js';

/** What update_userinfo may change; undefined leaves a field as it is. */
export interface ProfileChanges {
  nickname?: string | undefined;
  gender?: 0 | 1 | 2 | undefined;
  age?: number | undefined;
  area?: string | undefined;
  headImg?: string | undefined;
  height?: number | undefined;
}

/** QLive's view of users: profiles by id (one query for a whole room), edits, and the two wallets. */
export function createQliveProfiles(db: Db) {
  return {
    async byIds(ids: number[]): Promise<Map<number, User>> {
      const unique = [...new Set(ids)];
      if (unique.length === 0) return new Map();
      const rows = await db.select().from(users).where(inArray(users.id, unique));
      return new Map(rows.map((user) => [user.id, user]));
    },

    async get(userId: number, field = 'user_id'): Promise<User> {
      const [user] = await db.select().from(users).where(eq(users.id, userId));
      if (!user) throw notFound(`no user ${userId}`, field);
      return user;
    },

    async update(userId: number, changes: ProfileChanges): Promise<User> {
      const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
      if (Object.keys(set).length === 0) return this.get(userId);
      const [user] = await db.update(users).set(set).where(eq(users.id, userId)).returning();
      if (!user) throw notFound(`no user ${userId}`, 'user_id');
      return user;
    },

    /** gold: what a QLive user spends on gifts; income: what gifts earned him. */
    async wallet(userId: number): Promise<{ gold: number; income: number }> {
      const [gold, income] = await Promise.all([
        balanceOf(db, userId, 'gold'),
        balanceOf(db, userId, 'income'),
      ]);
      return { gold, income };
    },
  };
}

export type QliveProfiles = ReturnType<typeof createQliveProfiles>;
