import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { apiTokens, type User, users } from '../db/schema/index.js';

/** Tokens are 40 hex characters, the shape the client apps were built against. */
export function newToken(): string {
  return randomBytes(20).toString('hex');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function issueToken(db: Db, userId: number, ttlMs: number): Promise<string> {
  const token = newToken();
  await db.insert(apiTokens).values({
    userId,
    tokenHash: hashToken(token),
    expiresAt: new Date(Date.now() + ttlMs),
  });
  return token;
}

/**
 * Looks up the user a live (unexpired, unrevoked) token belongs to, or null. Every authenticated
 * request that misses the cache runs it, so it is a prepared statement: built once, parsed once per
 * connection.
 */
export function createTokenLookup(db: Db): (token: string) => Promise<User | null> {
  const byHash = db
    .select({ user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(
      and(
        eq(apiTokens.tokenHash, sql.placeholder('hash')),
        isNull(apiTokens.revokedAt),
        gt(apiTokens.expiresAt, sql.placeholder('now')),
      ),
    )
    .prepare('user_for_token');
  return async (token) => {
    if (!/^[0-9a-f]{40}$/.test(token)) return null;
    const rows = await byHash.execute({ hash: hashToken(token), now: new Date() });
    return rows[0]?.user ?? null;
  };
}

export async function revokeToken(db: Db, token: string): Promise<void> {
  await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(eq(apiTokens.tokenHash, hashToken(token)));
}
