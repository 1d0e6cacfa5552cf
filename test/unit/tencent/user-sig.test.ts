import { createHmac } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../../src/errors.js';
import {
  createUserSigner,
  DEFAULT_USER_SIG_EXPIRE_SECONDS,
  verifyUserSig,
} from '../../../src/tencent/user-sig.js';

const SDK_APP_ID = 1400000000;
const SECRET = '5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e';

/** Tencent's base64 variant: `+`→`*`, `/`→`-`, `=`→`_`, over a zlib-deflated JSON document. */
function decodeSig(sig: string): Record<string, unknown> {
  const base64 = sig.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
  return JSON.parse(inflateSync(Buffer.from(base64, 'base64')).toString('utf8'));
}

/** TLS.sig recomputed from Tencent's documented content-to-be-signed, independently of the library. */
function expectedHmac(doc: Record<string, unknown>, secret: string): string {
  const content =
    `TLS.identifier:${doc['TLS.identifier']}\n` +
    `TLS.sdkappid:${doc['TLS.sdkappid']}\n` +
    `TLS.time:${doc['TLS.time']}\n` +
    `TLS.expire:${doc['TLS.expire']}\n`;
  return createHmac('sha256', secret).update(content).digest('base64');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('createUserSigner', () => {
  it('produces a sig whose JSON and HMAC-SHA256 match the TLS v2 format', () => {
    const signer = createUserSigner({ sdkAppId: SDK_APP_ID, secretKey: SECRET, expireSeconds: 3600 });
    const before = Math.floor(Date.now() / 1000);
    const sig = signer.sign('10215436');
    const after = Math.floor(Date.now() / 1000);

    expect(sig).toMatch(/^[A-Za-z0-9*_-]+$/);
    const doc = decodeSig(sig);
    expect(doc['TLS.ver']).toBe('2.0');
    expect(doc['TLS.identifier']).toBe('10215436');
    expect(doc['TLS.sdkappid']).toBe(SDK_APP_ID);
    expect(doc['TLS.expire']).toBe(3600);
    expect(doc['TLS.time']).toBeGreaterThanOrEqual(before);
    expect(doc['TLS.time']).toBeLessThanOrEqual(after);
    expect(doc['TLS.sig']).toBe(expectedHmac(doc, SECRET));
    expect(doc['TLS.sig']).not.toBe(expectedHmac(doc, `${SECRET}x`));
  });

  it('stamps the current time, and expiresAt agrees with it', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2025-03-01T00:00:00.750Z'));
    const signer = createUserSigner({ sdkAppId: SDK_APP_ID, secretKey: SECRET });
    const doc = decodeSig(signer.sign('user_1-a'));
    const now = Date.parse('2025-03-01T00:00:00Z') / 1000;
    expect(doc['TLS.time']).toBe(now);
    expect(doc['TLS.expire']).toBe(DEFAULT_USER_SIG_EXPIRE_SECONDS);
    expect(signer.expiresAt()).toBe((now + DEFAULT_USER_SIG_EXPIRE_SECONDS) * 1000);
    expect(signer.expiresAt(1_000_999)).toBe((1000 + DEFAULT_USER_SIG_EXPIRE_SECONDS) * 1000);
  });

  it('refuses user ids Tencent would reject', () => {
    const signer = createUserSigner({ sdkAppId: SDK_APP_ID, secretKey: SECRET });
    for (const bad of ['', 'a b', 'x'.repeat(33), '用户', 'a:b']) {
      expect(() => signer.sign(bad)).toThrow(AppError);
    }
    expect(signer.sign('x'.repeat(32))).toBeTypeOf('string');
  });

  it('rejects a broken configuration up front', () => {
    expect(() => createUserSigner({ sdkAppId: 0, secretKey: SECRET })).toThrow(TypeError);
    expect(() => createUserSigner({ sdkAppId: SDK_APP_ID, secretKey: '' })).toThrow(TypeError);
    expect(() => createUserSigner({ sdkAppId: SDK_APP_ID, secretKey: SECRET, expireSeconds: -1 })).toThrow(
      TypeError,
    );
  });
});

describe('verifyUserSig (RoomService login)', () => {
  const signer = createUserSigner({ sdkAppId: SDK_APP_ID, secretKey: SECRET, expireSeconds: 600 });
  const expected = { sdkAppId: SDK_APP_ID, secretKey: SECRET, userId: 'alice' };

  it('accepts a signature tls-sig-api-v2 made for this app and user', () => {
    expect(verifyUserSig(signer.sign('alice'), expected)).toEqual({ valid: true });
  });

  it('refuses another user, another app, another key, an expired or a tampered signature', () => {
    const sig = signer.sign('alice');
    expect(verifyUserSig(signer.sign('bob'), expected).valid).toBe(false);
    expect(verifyUserSig(sig, { ...expected, sdkAppId: SDK_APP_ID + 1 }).valid).toBe(false);
    expect(verifyUserSig(sig, { ...expected, secretKey: 'other' }).valid).toBe(false);
    expect(verifyUserSig(sig, { ...expected, now: Date.now() + 601_000 })).toEqual({
      valid: false,
      reason: 'userSig has expired',
    });
    expect(verifyUserSig('garbage', expected).valid).toBe(false);
    expect(verifyUserSig(`${sig.slice(0, -4)}AAAA`, expected).valid).toBe(false);
  });
});
