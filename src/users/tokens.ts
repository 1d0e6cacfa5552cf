import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/client.js';
import { apiTokens } from '../db/schema/index.js';

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
