import { eq, sql } from 'drizzle-orm';
import { adminGrant, postMovement } from '../billing/ledger.js';
import type { Db } from '../db/client.js';
import { type Currency, type User, type UserRole, users } from '../db/schema/index.js';
import { badRequest } from '../errors.js';
import { issueToken } from './tokens.js';
import { createUserRows } from './user-rows.js';

export { USER_ROLES, type User, type UserRole } from '../db/schema/index.js';

/** Where Postgres announces every change to a user's row (migrations/0010, a trigger on `users`). */
export const USERS_CHANGED_CHANNEL = 'users_changed';

export interface NewUser {
  role: UserRole;
  nickname?: string | undefined;
  age?: number | undefined;
  gender?: 0 | 1 | 2 | undefined;
  headImg?: string | undefined;
  area?: string | undefined;
  unitPrice?: number | undefined;
  wechatOpenid?: string | undefined;
  /** Starting balances, credited through the ledger as admin grants. */
  balances?: Partial<Record<Currency, number>>;
}

export interface UsersServiceOptions {
  tokenTtlMs: number;
  defaultUnitPrice: number;
  unitPriceBounds: { min: number; max: number };
  /** How long a user's row may be served from memory while changes are heard (user-rows.ts; 0: never). */
  rowCacheMs: number;
}

export function createUsersService(db: Db, options: UsersServiceOptions) {
  /** One transaction: a user never exists without the starting balances and token he was created with. */
  async function create(input: NewUser): Promise<{ user: User; token: string }> {
    return db.transaction(async (tx) => {
      const scoped = tx as unknown as Db;
      const [user] = await scoped
        .insert(users)
        .values({
          role: input.role,
          nickname: input.nickname ?? '',
          age: input.age ?? 0,
          gender: input.gender ?? (input.role === 'anchor' ? 2 : input.role === 'guest' ? 1 : 0),
          headImg: input.headImg ?? '',
          area: input.area ?? '',
          unitPrice: input.unitPrice ?? options.defaultUnitPrice,
          wechatOpenid: input.wechatOpenid ?? null,
        })
        .returning();
      if (!user) throw new Error('user insert returned nothing');
      for (const [currency, amount] of Object.entries(input.balances ?? {}) as [Currency, number][]) {
        if (amount > 0) {
          await postMovement(
            scoped,
            adminGrant(user.id, currency, amount, `grant:user:${user.id}:initial:${currency}`),
          );
        }
      }
      const token = await issueToken(scoped, user.id, options.tokenTtlMs);
      return { user, token };
    });
  }

  // Every request reads its user, every apply its target: a prepared statement, built once and parsed once per connection.
  const byId = db
    .select()
    .from(users)
    .where(eq(users.id, sql.placeholder('id')))
    .prepare('user_by_id');

  const rows = createUserRows({
    load: async (userId) => (await byId.execute({ id: userId }))[0] ?? null,
    ttlMs: options.rowCacheMs,
  });

  async function updateDisplay(userId: number, display: 0 | 1): Promise<void> {
    await db.update(users).set({ display }).where(eq(users.id, userId));
    rows.changed(userId);
  }

  /** Applies to calls created afterwards: a call copies the price when it starts ringing. */
  async function updateUnitPrice(userId: number, unitPrice: number): Promise<void> {
    if (unitPrice < options.unitPriceBounds.min || unitPrice > options.unitPriceBounds.max) {
      throw badRequest(
        `unitPrice must be between ${options.unitPriceBounds.min} and ${options.unitPriceBounds.max}`,
        'unitPrice',
      );
    }
    await db.update(users).set({ unitPrice }).where(eq(users.id, userId));
    rows.changed(userId);
  }

  return {
    create,
    /** A user's row: from memory while every change is heard, else from Postgres (user-rows.ts). */
    find: rows.find,
    /** Postgres announced a change of this user's row (`users_changed`), or another service made one. */
    rowChanged: rows.changed,
    /** Whether this process hears `users_changed` now. */
    hearingRowChanges: rows.listening,
    updateDisplay,
    updateUnitPrice,
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
