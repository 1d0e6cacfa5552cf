import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { Db } from '../db/client.js';
import { apiTokens, type User, users } from '../db/schema/index.js';
import type { RedisClient } from '../redis/connection.js';
import { hashToken } from './tokens.js';

/** Who a token is: the only thing a process may remember about it. Nothing here can be changed by a write. */
export interface TokenIdentity {
  userId: number;
  tokenHash: string;
  expiresAt: number;
}

export interface Authenticated {
  user: User;
  identity: TokenIdentity;
}

/** What every process is told over Redis so its sockets and its cache follow at once. */
export type AuthNotice =
  | { type: 'token-revoked'; tokenHash: string; userId: number }
  | { type: 'user-locked'; userId: number };

export interface AuthenticatorOptions {
  /** The user's row as it is now (users.service's find). */
  findUser(userId: number): Promise<User | null>;
  /** How long a process reuses a token → user id lookup (0: never). */
  cacheMs?: number;
  maxEntries?: number;
  /** Publishes revocations to the other processes; unset: this process only. */
  redis?: RedisClient;
  prefix?: string;
}

const TOKEN_SHAPE = /^[0-9a-f]{40}$/;

/**
 * Token → user. A polling client asks several times a second, so a process remembers for a moment
 * *who* a token is (its user id and expiry), never the user's row: the row (price, display flag,
 * profile, ban state) comes from `findUser` on every request, which serves it from memory only
 * while Postgres's announcements of every change are heard (users/user-rows.ts), so a write is seen
 * by the next read in every process. A revocation (logout) is published over Redis; every process
 * drops the token from its cache when told, and listeners (the socket server) disconnect what the
 * token or user had open.
 */
export function createAuthenticator(db: Db, options: AuthenticatorOptions) {
  const cacheMs = options.cacheMs ?? 1_000;
  const cache = new LRUCache<string, TokenIdentity>({
    max: options.maxEntries ?? 50_000,
    ttl: Math.max(1, cacheMs),
  });
  const channel = `${options.prefix ?? ''}auth:notices`;
  const listeners = new Set<(notice: AuthNotice) => void>();
  let subscriber: RedisClient | null = null;

  const identityByHash = db
    .select({ userId: apiTokens.userId, expiresAt: apiTokens.expiresAt, user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(
      and(
        eq(apiTokens.tokenHash, sql.placeholder('hash')),
        isNull(apiTokens.revokedAt),
        gt(apiTokens.expiresAt, sql.placeholder('now')),
      ),
    )
    .prepare('identity_for_token');

  function deliver(notice: AuthNotice, fromRedis: boolean): void {
    if (notice.type === 'token-revoked') cache.delete(notice.tokenHash);
    // Listeners act for the whole cluster (socket disconnects go through the adapter), so only
    // the process that made the change calls them; the others only forget.
    if (!fromRedis) for (const listener of listeners) listener(notice);
  }

  async function publish(notice: AuthNotice): Promise<void> {
    deliver(notice, false);
    if (options.redis) await options.redis.publish(channel, JSON.stringify(notice));
  }

  async function authenticateFull(token: string): Promise<Authenticated | null> {
    if (!TOKEN_SHAPE.test(token)) return null;
    const tokenHash = hashToken(token);
    const cached = cacheMs > 0 ? cache.get(tokenHash) : undefined;
    if (cached && cached.expiresAt > Date.now()) {
      const user = await options.findUser(cached.userId);
      return user ? { user, identity: cached } : null;
    }
    const [row] = await identityByHash.execute({ hash: tokenHash, now: new Date() });
    if (!row) return null;
    const identity: TokenIdentity = { userId: row.userId, tokenHash, expiresAt: row.expiresAt.getTime() };
    if (cacheMs > 0) cache.set(tokenHash, identity);
    return { user: row.user, identity };
  }

  return {
    authenticateFull,
    async authenticate(token: string): Promise<User | null> {
      return (await authenticateFull(token))?.user ?? null;
    },
    /** Logout: the token stops working in every process, and whatever it had open is closed. */
    async revoke(token: string): Promise<void> {
      const tokenHash = hashToken(token);
      const [row] = await db
        .update(apiTokens)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)))
        .returning({ userId: apiTokens.userId });
      if (row) await publish({ type: 'token-revoked', tokenHash, userId: row.userId });
      else cache.delete(tokenHash);
    },
    /** An account ban: the user's open sockets close everywhere (his requests read the ban themselves). */
    async lockUser(userId: number): Promise<void> {
      await publish({ type: 'user-locked', userId });
    },
    onNotice(listener: (notice: AuthNotice) => void): void {
      listeners.add(listener);
    },
    /** Subscribes to the other processes' revocations. */
    async start(): Promise<void> {
      if (!options.redis || subscriber) return;
      // A connection of its own: a subscribed connection can do nothing else.
      subscriber = options.redis.duplicate();
      subscriber.on('error', () => {});
      subscriber.on('message', (_channel: string, message: string) => {
        try {
          deliver(JSON.parse(message) as AuthNotice, true);
        } catch {}
      });
      await subscriber.subscribe(channel);
    },
    async stop(): Promise<void> {
      subscriber?.disconnect();
      subscriber = null;
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
