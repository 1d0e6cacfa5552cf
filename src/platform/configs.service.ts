import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { appConfigs } from '../db/schema/index.js';

/**
 * Operator-editable settings the apps read (QLive `get_configs`, share info, mini-program feature
 * switches). A key never set answers its documented default, so a fresh install works.
 */
export function createConfigsService(db: Db) {
  return {
    async get<T>(key: string, fallback: T): Promise<T> {
      const [row] = await db
        .select({ value: appConfigs.value })
        .from(appConfigs)
        .where(eq(appConfigs.key, key));
      return row ? (row.value as T) : fallback;
    },
    async set(key: string, value: unknown): Promise<void> {
      await db
        .insert(appConfigs)
        .values({ key, value })
        .onConflictDoUpdate({ target: appConfigs.key, set: { value, updatedAt: sql`now()` } });
    },
    async list(): Promise<{ key: string; value: unknown; updatedAt: Date }[]> {
      return db.select().from(appConfigs).orderBy(appConfigs.key);
    },
  };
}

export type ConfigsService = ReturnType<typeof createConfigsService>;
