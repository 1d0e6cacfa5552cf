import { describe, expect, it } from 'vitest';
import {
  parseStreamUrl,
  pushUrlIsSigned,
  roomServiceAccelerateUrl,
  roomServiceMixedPlayUrl,
  roomServicePushUrl,
  roomServiceStreamName,
} from '../../../src/tencent/roomservice-urls.js';

const config = {
  pushDomain: 'push.example.com',
  playDomain: 'play.example.com',
  pushKey: 'example-push-key',
  playKey: 'example-push-key',
  bizId: '8888',
};
const TX_TIME = 0x5c271099 * 1000;

describe('RoomService stream URLs (tencent-roomservice.md §4)', () => {
  it("builds the spec's worked example exactly", () => {
    const stream = roomServiceStreamName(config, '42', 'room_1a2b3c4d_5e6f');
    expect(stream).toBe('8888_room_1a2b3c4d_5e6f_42');
    expect(roomServicePushUrl(config, stream, TX_TIME)).toBe(
      'rtmp://push.example.com/live/8888_room_1a2b3c4d_5e6f_42?bizid=8888&txSecret=f4d168b8ca0dae004a5dc239c99993de&txTime=5C271099',
    );
  });

  it('leaves bizid out when none is configured, and names the stream by user alone without a room', () => {
    const plain = { ...config, bizId: '' };
    const stream = roomServiceStreamName(plain, '42');
    expect(stream).toBe('42');
    expect(roomServicePushUrl(plain, stream, TX_TIME)).toMatch(
      /^rtmp:\/\/push\.example\.com\/live\/42\?txSecret=[0-9a-f]{32}&txTime=5C271099$/,
    );
  });

  it('signs the accelerate URL with the play key and the push URL’s txTime, and plays the mix as http .flv', () => {
    const withPlayKey = { ...config, playKey: 'another-key' };
    const push = roomServicePushUrl(withPlayKey, '8888_42', TX_TIME);
    const accelerate = roomServiceAccelerateUrl(withPlayKey, push);
    expect(accelerate).toMatch(
      /^rtmp:\/\/play\.example\.com\/live\/8888_42\?bizid=8888&txSecret=[0-9a-f]{32}&txTime=5C271099$/,
    );
    expect(parseStreamUrl(accelerate)?.txSecret).not.toBe(parseStreamUrl(push)?.txSecret);
    expect(roomServiceMixedPlayUrl(config, '8888_42')).toBe('http://play.example.com/live/8888_42.flv');
  });

  it('recognises its own push URLs and refuses forged or re-cased ones', () => {
    const push = roomServicePushUrl(config, '8888_42', TX_TIME);
    expect(pushUrlIsSigned(config, push)).toBe(true);
    expect(pushUrlIsSigned(config, push.replace('8888_42?', '8888_43?'))).toBe(false);
    expect(pushUrlIsSigned(config, push.replace('5C271099', '5c271099'))).toBe(false);
    expect(pushUrlIsSigned({ ...config, pushKey: 'other' }, push)).toBe(false);
    expect(pushUrlIsSigned(config, 'rtmp://push.example.com/live/42')).toBe(false);
  });
});
