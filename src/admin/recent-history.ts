import type { RedisClient } from '../redis/connection.js';
import { parseHistory } from '../runtime/history.js';
import type { TransitionRecord } from '../runtime/index.js';
import { instanceKeys } from '../runtime/keys.js';

const PAGE = 50;
const sameState = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * What the live table needs from an instance's history without reading all of it (a busy room
 * collects thousands of ENTER/LEAVE entries): the last transition, and the one that entered the
 * current state, found by reading the history stream backwards a page at a time.
 */
export async function recentHistory(
  redis: RedisClient,
  prefix: string,
  kind: string,
  id: string,
  /** The runtime's index groups (`runtime.shards`): they are part of the key. */
  shards = 1,
): Promise<{ last: TransitionRecord | null; entered: TransitionRecord | null }> {
  const key = instanceKeys(prefix, kind, id, shards).history;
  let last: TransitionRecord | null = null;
  let end = '+';
  for (;;) {
    const entries = await redis.xrevrange(key, end, '-', 'COUNT', PAGE);
    const records = parseHistory(entries);
    last ??= records[0] ?? null;
    const entered = records.find((record) => record.from === null || !sameState(record.from, record.to));
    if (entered) return { last, entered };
    const oldest = entries[entries.length - 1];
    if (entries.length < PAGE || !oldest) return { last, entered: null };
    end = `(${oldest[0]}`;
  }
}
