import { eq } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Db } from '../db/client.js';
import { deploymentIdentity } from '../db/schema/index.js';
import type { RedisClient } from './connection.js';

/** Which database a Redis key prefix serves, as recorded under `<prefix>identity`. */
export interface DatabaseIdentity {
  /** Made by the database's migration (deployment_identity). */
  id: string;
  /** Where it lives, without credentials: for the operator reading a refusal. */
  label: string;
}

export class RedisBindingError extends Error {
  override name = 'RedisBindingError';
}

export async function readDatabaseIdentity(db: Db, label: string): Promise<DatabaseIdentity> {
  const [row] = await db
    .select({ id: deploymentIdentity.id })
    .from(deploymentIdentity)
    .where(eq(deploymentIdentity.key, 'database'));
  if (!row) throw new Error('deployment_identity has no row: the database was not migrated');
  return { id: row.id, label };
}

/** postgres://host:port/name for a URL (user and password left out), or where PGlite keeps its files. */
export function describeDatabase(url: string | undefined, pgliteDir: string): string {
  if (!url) return `embedded PGlite in ${pgliteDir}`;
  const parsed = new URL(url);
  return `postgres://${parsed.host}${parsed.pathname}`;
}

export function identityKey(prefix: string): string {
  return `${prefix}identity`;
}

/**
 * Claims the prefix for this database, or confirms it already serves it. Two databases behind one
 * prefix would share BullMQ queues and machine keys: each server would run the other's billing ticks
 * and timers against the wrong ledger, so the second one refuses to start instead.
 */
export async function bindRedisPrefix(
  redis: RedisClient,
  target: { url: string; prefix: string },
  database: DatabaseIdentity,
): Promise<'claimed' | 'confirmed'> {
  const key = identityKey(target.prefix);
  const record = JSON.stringify({ ...database, claimedAt: new Date().toISOString() });
  if ((await redis.set(key, record, 'NX')) === 'OK') return 'claimed';
  const raw = await redis.get(key);
  const owner = parseIdentity(raw);
  if (owner?.id === database.id) return 'confirmed';
  throw new RedisBindingError(
    `Refusing to start: REDIS_PREFIX ${JSON.stringify(target.prefix)} at ${target.url} belongs to another database.\n` +
      `  that prefix serves: ${owner ? `${owner.label} (identity ${owner.id}${owner.claimedAt ? `, since ${owner.claimedAt}` : ''})` : `an unreadable record ${JSON.stringify(raw)}`}\n` +
      `  this server's database: ${database.label} (identity ${database.id})\n` +
      "Sharing it would let each server run the other's billing ticks and timers against the wrong ledger.\n" +
      'Give this database its own REDIS_PREFIX (or its own Redis). If the other deployment is gone for good, ' +
      `delete its keys (every key under ${target.prefix}) and start again.`,
  );
}

function parseIdentity(raw: string | null): (DatabaseIdentity & { claimedAt?: string }) | undefined {
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<DatabaseIdentity & { claimedAt: string }>;
    if (typeof parsed.id === 'string' && typeof parsed.label === 'string') {
      return { id: parsed.id, label: parsed.label, claimedAt: parsed.claimedAt };
    }
  } catch {}
  return undefined;
}

/**
 * What a restart of an external Redis would lose, judged from its persistence settings; undefined
 * when it appends every write (AOF) or when CONFIG is not allowed (managed services), which
 * say nothing either way.
 */
export async function persistenceWarning(redis: Redis, url: string): Promise<string | undefined> {
  let appendonly: string | undefined;
  let save: string | undefined;
  try {
    appendonly = ((await redis.config('GET', 'appendonly')) as string[])[1];
    save = ((await redis.config('GET', 'save')) as string[])[1];
  } catch {
    return undefined;
  }
  if (appendonly === 'yes') return undefined;
  const lost =
    'live calls and rooms (their machines), their timers and billing ticks, and the Socket.IO sessions';
  if (!save) {
    return `Redis at ${url} keeps nothing on disk (appendonly no, no save points): if it restarts, ${lost} are lost; money already moved stays in Postgres. Turn on appendonly yes to keep them.`;
  }
  return `Redis at ${url} only takes RDB snapshots (save ${save}, appendonly no): if it restarts, changes since the last snapshot to ${lost} are lost. Turn on appendonly yes to keep them.`;
}
