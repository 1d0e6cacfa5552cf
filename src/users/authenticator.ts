import { LRUCache } from 'lru-cache';
import type { Db } from '../db/client.js';
import type { User } from '../db/schema/index.js';
import { createTokenLookup, revokeToken } from './tokens.js';

/**
 * Token → user, with a short in-process cache: a polling client asks several times a second, and a
 * database round trip per poll is most of what `getMatchInfo` would cost. The cache lives `cacheMs`
 * (default 1 s), so a ban, profile change or revocation made by another process shows within that;
 * a revocation in this process shows at once.
 */
export function createAuthenticator(db: Db, options: { cacheMs?: number; maxEntries?: number } = {}) {
  const cacheMs = options.cacheMs ?? 1_000;
  const cache = new LRUCache<string, User>({ max: options.maxEntries ?? 50_000, ttl: Math.max(1, cacheMs) });
  const userForToken = createTokenLookup(db);

  return {
    async authenticate(token: string): Promise<User | null> {
      if (cacheMs > 0) {
        const cached = cache.get(token);
        if (cached) return cached;
      }
      const user = await userForToken(token);
      if (user && cacheMs > 0) cache.set(token, user);
      return user;
    },
    async revoke(token: string): Promise<void> {
      cache.delete(token);
      await revokeToken(db, token);
    },
    /** Drops every cached entry of a user (after a ban or a profile change in this process). */
    forgetUser(userId: number): void {
      for (const [token, user] of cache.entries()) if (user.id === userId) cache.delete(token);
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
