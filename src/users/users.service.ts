import { eq, sql } from 'drizzle-orm';
import { adminGrant, postMovement } from '../billing/ledger.js';
import type { Db } from '../db/client.js';
import { type Currency, type User, type UserRole, users } from '../db/schema/index.js';
import { badRequest } from '../errors.js';
import { issueToken } from './tokens.js';

export { USER_ROLES, type User, type UserRole } from '../db/schema/index.js';

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

  // Every apply looks its target up: a prepared statement, built once and parsed once per connection.
  const byId = db
    .select()
    .from(users)
    .where(eq(users.id, sql.placeholder('id')))
    .prepare('user_by_id');

  async function find(userId: number): Promise<User | null> {
    const [user] = await byId.execute({ id: userId });
    return user ?? null;
  }

  async function updateDisplay(userId: number, display: 0 | 1): Promise<void> {
    await db.update(users).set({ display }).where(eq(users.id, userId));
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
  }

  return { create, find, updateDisplay, updateUnitPrice };
}

export type UsersService = ReturnType<typeof createUsersService>;
