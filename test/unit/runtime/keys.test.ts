import { describe, expect, it } from 'vitest';
import { parseRedisTarget } from '../../../src/redis/connection.js';
import { connectionFromUrl } from '../../../src/runtime/delayed-events.js';
import {
  bullPrefixOf,
  CLUSTER_SHARDS,
  instanceKeys,
  parseMember,
  shardOf,
} from '../../../src/runtime/keys.js';

describe('runtime keys', () => {
  it('keeps one instance and the indexes it is saved with under one hash tag', () => {
    expect(instanceKeys('co:', 'call', '42')).toEqual({
      machine: 'co:m:{call#0}:42',
      history: 'co:h:{call#0}:42',
      active: 'co:active:{call#0}',
      outbox: 'co:outbox:{call#0}',
      member: 'call:42',
    });
    const shard = shardOf('42', CLUSTER_SHARDS);
    expect(instanceKeys('co:', 'call', '42', CLUSTER_SHARDS)).toEqual({
      machine: `co:m:{call#${shard}}:42`,
      history: `co:h:{call#${shard}}:42`,
      active: `co:active:{call#${shard}}`,
      outbox: `co:outbox:{call#${shard}}`,
      member: 'call:42',
    });
    expect(parseMember('room:a-1')).toEqual({ kind: 'room', id: 'a-1' });
  });

  it('spreads instances over every index group on a cluster', () => {
    const used = new Set(Array.from({ length: 1000 }, (_, i) => shardOf(String(i + 1), CLUSTER_SHARDS)));
    expect([...used].sort((a, b) => a - b)).toEqual(Array.from({ length: CLUSTER_SHARDS }, (_, i) => i));
    expect(shardOf('42', 1)).toBe(0);
  });

  it('gives each BullMQ queue its own hash tag', () => {
    expect(bullPrefixOf('co:', 'machine-events')).toBe('co:{machine-events}');
  });

  it('reads one node or a cluster from REDIS_URL', () => {
    expect(parseRedisTarget('redis://127.0.0.1:6379/2')).toEqual({
      nodes: [{ host: '127.0.0.1', port: 6379 }],
      cluster: false,
      options: { host: '127.0.0.1', port: 6379, db: 2 },
    });
    expect(parseRedisTarget('redis://:secret@10.0.0.1:7000, redis://:secret@10.0.0.2:7001')).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      cluster: true,
      options: { password: 'secret' },
    });
    expect(parseRedisTarget('redis://10.0.0.1:7000', true).cluster).toBe(true);
    expect(() => parseRedisTarget('redis://10.0.0.1:7000/1', true)).toThrow(/database 0/);
  });

  it('turns a Redis URL into connection options', () => {
    expect(connectionFromUrl('redis://127.0.0.1:6379')).toEqual({ host: '127.0.0.1', port: 6379 });
    expect(connectionFromUrl('rediss://u:p%40ss@cache.example:6380/2')).toEqual({
      host: 'cache.example',
      port: 6380,
      username: 'u',
      password: 'p@ss',
      db: 2,
      tls: {},
    });
  });
});
