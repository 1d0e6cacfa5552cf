/** The bridge between QLive's login (status 1) and user creation, against the real Redis. */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { badRequest } from '../../../src/errors.js';
import { createLoginSessions } from '../../../src/users/wechat-login-sessions.js';
import type { WeChatSession } from '../../../src/wechat/code2session.js';
import { deleteKeysWithPrefix } from '../../helpers/redis.js';
import { TEST_REDIS_URL, uniqueName } from '../../helpers/services.js';

const redis = new Redis(TEST_REDIS_URL);
const prefix = `${uniqueName('login_sessions')}:`;
afterAll(async () => {
  await deleteKeysWithPrefix(prefix);
  redis.disconnect();
});

/** A WeChat that honours each code once, like the real one. */
function wechat() {
  const used = new Set<string>();
  const calls: string[] = [];
  const code2session = async (code: string): Promise<WeChatSession> => {
    calls.push(code);
    if (used.has(code)) throw badRequest('WeChat login code has already been used', 'code');
    used.add(code);
    return { openid: `openid-of-${code}`, sessionKey: `key-of-${code}` };
  };
  return { code2session, calls };
}

describe('login sessions', () => {
  it('gives the creation call the session its login kept, once, and exchanges unknown codes at WeChat', async () => {
    const fake = wechat();
    const sessions = createLoginSessions({ redis, prefix, code2session: fake.code2session });
    const session = await sessions.exchange('c1');
    await sessions.remember('c1', session);
    expect(await sessions.take('c1')).toEqual(session);
    expect(fake.calls).toEqual(['c1']);
    // Taken once: the code goes to WeChat now, which has seen it.
    await expect(sessions.take('c1')).rejects.toMatchObject({ field: 'code' });
    expect(await sessions.take('c2')).toEqual({ openid: 'openid-of-c2', sessionKey: 'key-of-c2' });
  });

  it('keeps only a hash of the code as the key, and for a limited time', async () => {
    const sessions = createLoginSessions({
      redis,
      prefix,
      code2session: wechat().code2session,
      ttlSeconds: 60,
    });
    await sessions.remember('secret-code', { openid: 'o', sessionKey: 'k' });
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.some((key) => key.includes('secret-code'))).toBe(false);
    const ttl = await redis.ttl(keys.find((key) => key.includes('login-code'))!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });
});
