import { Redis } from 'ioredis';
import { onPrivateRedis, TEST_REDIS_URL } from './services.js';

/**
 * Deletes every key under a test's prefix (machines, streams, BullMQ queues, Socket.IO sessions) on
 * the shared Redis; a file on a Redis Cluster of its own throws the whole cluster away instead.
 */
export async function deleteKeysWithPrefix(prefix: string): Promise<void> {
  if (onPrivateRedis()) return;
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
