import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  antiLeechParams,
  playUrl,
  pushUrl,
  signStreamUrl,
  streamNameFor,
  txTimeOf,
} from '../../../src/tencent/live-urls.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('anti-leech signature', () => {
  it("matches Tencent's documented example", () => {
    // KEY e12c46f2612d5106e2034781ab261ca3, StreamName test, txTime 5C271099 (2018-12-29T06:13:45Z)
    const params = antiLeechParams({
      key: 'e12c46f2612d5106e2034781ab261ca3',
      streamName: 'test',
      expiresAt: 0x5c271099 * 1000,
    });
    expect(params).toEqual({ txTime: '5C271099', txSecret: 'f85a2ab363fe4deaffef9754d79da6fe' });
    expect(
      pushUrl({
        domain: 'livepush.tcloud.com',
        streamName: 'test',
        key: 'e12c46f2612d5106e2034781ab261ca3',
        expiresAt: new Date('2018-12-29T06:13:45Z'),
      }),
    ).toBe('rtmp://livepush.tcloud.com/live/test?txSecret=f85a2ab363fe4deaffef9754d79da6fe&txTime=5C271099');
  });

  it('txTime is the expiry in upper-case hex unix seconds', () => {
    const at = Date.UTC(2030, 0, 1, 12, 0, 0, 999); // sub-second part is dropped
    const seconds = Math.floor(at / 1000);
    expect(txTimeOf(at)).toBe(seconds.toString(16).toUpperCase());
    expect(txTimeOf(at)).toMatch(/^[0-9A-F]+$/);
    expect(txTimeOf(at)).toMatch(/[A-F]/); // this instant has letters, so case really is checked
    expect(txTimeOf(new Date(at))).toBe(txTimeOf(at));
    expect(() => txTimeOf(Number.NaN)).toThrow(TypeError);
  });

  it('signs md5(key + streamName + txTime) for a hand-built vector', () => {
    const key = 'k3y';
    const streamName = 'room_abc_42';
    const expiresAt = 0xabcdef12 * 1000;
    const secret = md5('k3yroom_abc_42ABCDEF12');
    expect(pushUrl({ domain: 'push.example.com', streamName, key, expiresAt })).toBe(
      `rtmp://push.example.com/live/room_abc_42?txSecret=${secret}&txTime=ABCDEF12`,
    );
    expect(
      signStreamUrl({
        scheme: 'http',
        domain: 'play.example.com',
        app: 'app2',
        streamName,
        key,
        expiresAt,
        extension: '.flv',
      }),
    ).toBe(`http://play.example.com/app2/room_abc_42.flv?txSecret=${secret}&txTime=ABCDEF12`);
  });

  it('play URLs are plain without a key and signed with one', () => {
    const base = { domain: 'play.example.com', streamName: 'call_x_7' };
    expect(playUrl(base)).toBe('rtmp://play.example.com/live/call_x_7');
    expect(playUrl({ ...base, format: 'flv' })).toBe('https://play.example.com/live/call_x_7.flv');
    expect(playUrl({ ...base, format: 'flv', secure: false })).toBe(
      'http://play.example.com/live/call_x_7.flv',
    );
    expect(playUrl({ ...base, format: 'hls' })).toBe('https://play.example.com/live/call_x_7.m3u8');
    const expiresAt = 0x70000000 * 1000;
    const secret = md5('pkcall_x_770000000');
    expect(playUrl({ ...base, key: 'pk', expiresAt })).toBe(
      `rtmp://play.example.com/live/call_x_7?txSecret=${secret}&txTime=70000000`,
    );
    // The signature covers the stream name only, so the .flv variant carries the same one.
    expect(playUrl({ ...base, key: 'pk', expiresAt, format: 'flv' })).toBe(
      `https://play.example.com/live/call_x_7.flv?txSecret=${secret}&txTime=70000000`,
    );
    expect(() => playUrl({ ...base, key: 'pk' })).toThrow(TypeError);
  });

  it('refuses names and domains that would need escaping', () => {
    const ok = { key: 'k', expiresAt: Date.now() };
    expect(() => pushUrl({ ...ok, domain: 'push.example.com', streamName: 'a/b' })).toThrow(TypeError);
    expect(() => pushUrl({ ...ok, domain: 'push.example.com', streamName: 'a?b' })).toThrow(TypeError);
    expect(() => pushUrl({ ...ok, domain: 'rtmp://push.example.com', streamName: 'a' })).toThrow(TypeError);
    expect(() => pushUrl({ ...ok, domain: 'push.example.com', app: 'a b', streamName: 'a' })).toThrow(
      TypeError,
    );
    expect(() => pushUrl({ ...ok, key: '', domain: 'push.example.com', streamName: 'a' })).toThrow(TypeError);
  });
});

describe('streamNameFor', () => {
  it('is stable and readable for ordinary ids', () => {
    const id = '3f2b1c9e-0d7a-4c1e-9b8a-2f6d5e4c3b2a';
    expect(streamNameFor('call', id, 42)).toBe(`call_${id}_42`);
    expect(streamNameFor('call', id, 42)).toBe(streamNameFor('call', id, 42));
    expect(streamNameFor('room', id, 42)).not.toBe(streamNameFor('call', id, 42));
    expect(streamNameFor('room', id, 43)).not.toBe(streamNameFor('room', id, 42));
  });

  it('hashes ids with unsafe characters, stably', () => {
    const name = streamNameFor('room', 'room:{a}/1', 5);
    expect(name).toMatch(/^room_-[0-9a-f]{32}_5$/);
    expect(streamNameFor('room', 'room:{a}/1', 5)).toBe(name);
    expect(streamNameFor('room', 'room:{a}/2', 5)).not.toBe(name);
  });

  it('always gives a URL-safe name, and different inputs never share one', () => {
    const input = fc.tuple(
      fc.constantFrom('call' as const, 'room' as const),
      fc.string({ minLength: 1 }),
      fc.nat(),
    );
    fc.assert(
      fc.property(input, input, ([k1, i1, u1], [k2, i2, u2]) => {
        const a = streamNameFor(k1, i1, u1);
        expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(encodeURIComponent(a)).toBe(a);
        if (k1 !== k2 || i1 !== i2 || u1 !== u2) expect(streamNameFor(k2, i2, u2)).not.toBe(a);
      }),
    );
  });

  it('rejects bad arguments', () => {
    expect(() => streamNameFor('call', '', 1)).toThrow(TypeError);
    expect(() => streamNameFor('call', 'x', -1)).toThrow(TypeError);
    expect(() => streamNameFor('call', 'x', 1.5)).toThrow(TypeError);
    expect(() => streamNameFor('other' as 'call', 'x', 1)).toThrow(TypeError);
  });
});
