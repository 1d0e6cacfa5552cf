import { describe, expect, it } from 'vitest';
import { connectionFromUrl } from '../../../src/runtime/delayed-events.js';
import { bullPrefixOf, instanceKeys, parseMember } from '../../../src/runtime/keys.js';

describe('runtime keys', () => {
  it('keeps one instance in one hash slot', () => {
    expect(instanceKeys('co:', 'call', '42')).toEqual({
      machine: 'co:m:{call:42}',
      history: 'co:h:{call:42}',
      active: 'co:active:call',
      outbox: 'co:outbox',
      member: 'call:42',
    });
    expect(parseMember('room:a-1')).toEqual({ kind: 'room', id: 'a-1' });
  });

  it('derives the BullMQ prefix without the trailing colon', () => {
    expect(bullPrefixOf('co:')).toBe('co');
    expect(bullPrefixOf('')).toBe('bull');
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
