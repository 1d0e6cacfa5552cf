import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { createAdminSig } from '../../../src/tencent/im/admin-sig.js';
import { limiterFor } from '../../../src/tencent/im/im-delivery.js';

const decode = (sig: string) =>
  JSON.parse(
    inflateSync(
      Buffer.from(sig.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '='), 'base64'),
    ).toString(),
  );

describe('IM admin signature', () => {
  it('signs the admin account with tls-sig-api-v2', () => {
    const sig = createAdminSig({ sdkAppId: 1_400_000_001, secretKey: 'k', admin: 'administrator' });
    expect(decode(sig.current())).toMatchObject({
      'TLS.ver': '2.0',
      'TLS.identifier': 'administrator',
      'TLS.sdkappid': 1_400_000_001,
      'TLS.expire': 24 * 3600,
    });
  });

  it('reuses one sig and signs again once half of its lifetime has passed', () => {
    let now = 1_000_000;
    const signed: string[] = [];
    const sig = createAdminSig({
      sdkAppId: 1_400_000_001,
      secretKey: 'k',
      admin: 'administrator',
      expireSeconds: 3600,
      now: () => now,
      signer: { sign: (userId) => `${userId}-${signed.push(userId)}` },
    });
    expect(sig.current()).toBe('administrator-1');
    now += 1_799_999;
    expect(sig.current()).toBe('administrator-1');
    now += 1;
    expect(sig.current()).toBe('administrator-2');
    expect(sig.current()).toBe('administrator-2');
  });
});

describe('IM rate limit', () => {
  it('never lets more than the rate through in any second, however BullMQ’s windows fall', () => {
    for (const rate of [2, 5, 10, 200, 1000]) {
      const { max, duration } = limiterFor(rate);
      const windowsPerSecond = Math.ceil(1000 / duration) + 1;
      expect(max * windowsPerSecond).toBeLessThanOrEqual(rate);
      expect(max).toBeGreaterThanOrEqual(1);
    }
    expect(limiterFor(200)).toEqual({ max: 20, duration: 112 });
  });
});

describe('IM configuration', () => {
  it('defaults to Tencent’s host and the administrator account, without callback token', () => {
    expect(loadConfig({}).tencent.im).toEqual({
      apiBase: 'https://console.tim.qq.com',
      admin: 'administrator',
      callbackToken: undefined,
      timeoutMs: 5_000,
      maxBackoffMs: 30_000,
      ratePerSecond: 200,
    });
  });

  it('refuses an admin account Tencent would not accept and a host that is not a URL', () => {
    expect(() => loadConfig({ TENCENT_IM_ADMIN: 'admin:1' })).toThrow(/TENCENT_IM_ADMIN/);
    expect(() => loadConfig({ TENCENT_IM_API_BASE: 'console.tim.qq.com' })).toThrow(/TENCENT_IM_API_BASE/);
    expect(loadConfig({ TENCENT_IM_API_BASE: 'https://adminapisgp.im.qcloud.com/' }).tencent.im.apiBase).toBe(
      'https://adminapisgp.im.qcloud.com',
    );
  });
});
