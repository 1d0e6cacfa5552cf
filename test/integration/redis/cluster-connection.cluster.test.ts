/**
 * The cluster clients the server makes (redis/connection.ts) against a master that restarts. BullMQ
 * recovers a worker's connections by awaiting `connect()`: one that never settles leaves the worker
 * waiting for ever (no delayed job fires, the worker never closes), as ioredis's ready check did.
 */
import { describe, expect, it } from 'vitest';
import { createRedisClient, parseRedisTarget, type RedisClient } from '../../../src/redis/connection.js';
import { currentRedisCluster, runOnRedisCluster } from '../../helpers/redis-cluster.js';

runOnRedisCluster();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Hash tags spread over the three masters' slot ranges. */
const KEYS = ['{a}:probe', '{b}:probe', '{c}:probe', '{d}:probe', '{e}:probe', '{f}:probe'];

describe('a Redis Cluster client connecting while a master restarts', () => {
  it('settles every connect(), and each client that connected then answers on every master', async () => {
    const cluster = currentRedisCluster();
    const target = parseRedisTarget(cluster.url);
    const clients: RedisClient[] = [];
    const outcomes: Promise<string>[] = [];
    let restarting = true;
    const restarted = cluster.restartMaster(0, 300).finally(() => {
      restarting = false;
    });
    try {
      while (restarting) {
        const client = createRedisClient(target, { lazyConnect: true, maxRetriesPerRequest: 5 });
        client.on('error', () => {});
        clients.push(client);
        const settled = client.connect().then(
          () => 'connected',
          () => 'refused',
        );
        // Far longer than any connection takes: a promise still pending then never settles.
        outcomes.push(Promise.race([settled, sleep(15_000).then(() => 'never settled')]));
        await sleep(20);
      }
      await restarted;
      const results = await Promise.all(outcomes);
      expect(results.filter((result) => result === 'never settled')).toEqual([]);
      expect(results).toContain('connected');

      const connected = clients.filter((_, i) => results[i] === 'connected');
      for (const [i, client] of connected.entries()) {
        const key = KEYS[i % KEYS.length] as string;
        await client.set(key, String(i));
        expect(await client.get(key)).toBe(String(i));
      }
    } finally {
      for (const client of clients) client.disconnect();
    }
  }, 60_000);
});
