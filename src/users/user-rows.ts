import { LRUCache } from 'lru-cache';
import type { User } from '../db/schema/index.js';

export interface UserRowsOptions {
  /** The row as Postgres has it now. */
  load(userId: number): Promise<User | null>;
  /** How long a row may be served from memory at most, even without a change announced (0: never). */
  ttlMs: number;
  maxEntries?: number;
}

/**
 * Users' rows kept in memory between requests, so a polling client or a call setup does not read
 * its user's row from Postgres every time. Correct only while this process hears every change:
 * a `users` trigger announces each one on the channel `users_changed` after it commits
 * (migrations/0010), the host forwards those to `changed`, and says through `listening` whether it
 * hears them. While it does not (starting, the listening connection lost and not yet back), every
 * read goes to Postgres and nothing is kept, so a change is never missed, only slower to serve.
 *
 * A row read while a change was announced may be the old one; it is returned but not kept (any
 * announcement moves `epoch`, and a load only fills the cache if none came while it ran). Rows are
 * frozen: callers share them.
 */
export function createUserRows(options: UserRowsOptions) {
  const cache = new LRUCache<number, User>({
    max: options.maxEntries ?? 100_000,
    ttl: Math.max(1, options.ttlMs),
  });
  let hearing = false;
  let epoch = 0;

  return {
    async find(userId: number): Promise<User | null> {
      if (!hearing || options.ttlMs <= 0) {
        const row = await options.load(userId);
        return row ? Object.freeze(row) : null;
      }
      const cached = cache.get(userId);
      if (cached) return cached;
      const startedAt = epoch;
      const row = await options.load(userId);
      if (!row) return null;
      const frozen = Object.freeze(row);
      if (hearing && epoch === startedAt) cache.set(userId, frozen);
      return frozen;
    },
    /** A user's row changed (announced by Postgres, or written by this process). */
    changed(userId: number): void {
      epoch++;
      cache.delete(userId);
    },
    /** Whether changes are heard from now on; either way, what is kept may have missed some. */
    listening(up: boolean): void {
      hearing = up;
      epoch++;
      cache.clear();
    },
  };
}

export type UserRows = ReturnType<typeof createUserRows>;
