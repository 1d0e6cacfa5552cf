/**
 * Tencent Cloud TLS user signatures (UserSig) for IM / TRTC / live, as the QLive login returns them
 * in `user_sign` / `user_sig`. Signing is delegated to Tencent's own `tls-sig-api-v2` package so the
 * format stays exactly what Tencent's servers verify.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import { badRequest } from '../errors.js';

/** The slice of `tls-sig-api-v2` we use. The package is CommonJS and ships no type declarations. */
interface TlsSigApi {
  genUserSig(userId: string, expireSeconds: number): string;
}
interface TlsSigModule {
  Api: new (sdkAppId: number, secretKey: string) => TlsSigApi;
}

// createRequire keeps the untyped CommonJS import local to this file (no ambient `declare module`).
const { Api } = createRequire(import.meta.url)('tls-sig-api-v2') as TlsSigModule;

/** Tencent's own GenerateTestUserSig sample uses 7 days; long enough that a session never re-logs in. */
export const DEFAULT_USER_SIG_EXPIRE_SECONDS = 7 * 24 * 3600;

/** Tencent's rule for a UserID: at most 32 bytes of letters, digits, `_` and `-`. */
const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export interface UserSignerOptions {
  sdkAppId: number;
  secretKey: string;
  expireSeconds?: number;
}

export interface UserSigner {
  /** A fresh UserSig for `userId`, valid for `expireSeconds` from now. */
  sign(userId: string): string;
  /** When a sig signed at `now` (epoch ms, default `Date.now()`) expires, as epoch ms. */
  expiresAt(now?: number): number;
}

export function createUserSigner({
  sdkAppId,
  secretKey,
  expireSeconds = DEFAULT_USER_SIG_EXPIRE_SECONDS,
}: UserSignerOptions): UserSigner {
  if (!Number.isSafeInteger(sdkAppId) || sdkAppId <= 0)
    throw new TypeError('sdkAppId must be a positive integer');
  if (!secretKey) throw new TypeError('secretKey is required');
  if (!Number.isSafeInteger(expireSeconds) || expireSeconds <= 0) {
    throw new TypeError('expireSeconds must be a positive integer');
  }
  const api = new Api(sdkAppId, secretKey);
  return {
    sign(userId) {
      if (!USER_ID_PATTERN.test(userId)) throw badRequest('invalid user id for a Tencent UserSig', 'user_id');
      return api.genUserSig(userId, expireSeconds);
    },
    // The library stamps TLS.time with whole seconds, so the sig really expires at floor(now) + expire.
    expiresAt(now = Date.now()) {
      return (Math.floor(now / 1000) + expireSeconds) * 1000;
    },
  };
}

export type UserSigCheck = { valid: true } | { valid: false; reason: string };

/**
 * Checks a tls-sig-api-v2 UserSig the way Tencent's servers do: base64url (`*`→`+`, `-`→`/`,
 * `_`→`=`) of a zlib-deflated JSON document whose `TLS.sig` is the base64 HMAC-SHA256, keyed by
 * the secret key, of `TLS.identifier`, `TLS.sdkappid`, `TLS.time`, `TLS.expire` (and `TLS.userbuf`
 * when present), one `name:value\n` line each. It must name this app and this user and not be expired.
 */
export function verifyUserSig(
  userSig: string,
  expected: { sdkAppId: number; secretKey: string; userId: string; now?: number },
): UserSigCheck {
  let doc: Record<string, unknown>;
  try {
    const base64 = userSig.replaceAll('*', '+').replaceAll('-', '/').replaceAll('_', '=');
    doc = JSON.parse(inflateSync(Buffer.from(base64, 'base64')).toString('utf8')) as Record<string, unknown>;
  } catch {
    return { valid: false, reason: 'userSig is not a TLS v2 signature' };
  }
  if (typeof doc !== 'object' || doc === null || doc['TLS.ver'] !== '2.0')
    return { valid: false, reason: 'userSig is not a TLS v2 signature' };
  const identifier = doc['TLS.identifier'];
  const sdkAppId = doc['TLS.sdkappid'];
  const time = doc['TLS.time'];
  const expire = doc['TLS.expire'];
  const userBuf = doc['TLS.userbuf'];
  const sig = doc['TLS.sig'];
  if (
    typeof identifier !== 'string' ||
    typeof sdkAppId !== 'number' ||
    typeof time !== 'number' ||
    typeof expire !== 'number' ||
    typeof sig !== 'string' ||
    (userBuf !== undefined && typeof userBuf !== 'string')
  ) {
    return { valid: false, reason: 'userSig is missing fields' };
  }
  if (sdkAppId !== expected.sdkAppId) return { valid: false, reason: 'userSig is for another sdkAppID' };
  if (identifier !== expected.userId) return { valid: false, reason: 'userSig is for another userID' };
  const nowSeconds = Math.floor((expected.now ?? Date.now()) / 1000);
  if (time + expire < nowSeconds) return { valid: false, reason: 'userSig has expired' };
  let content = `TLS.identifier:${identifier}\nTLS.sdkappid:${sdkAppId}\nTLS.time:${time}\nTLS.expire:${expire}\n`;
  if (typeof userBuf === 'string') content += `TLS.userbuf:${userBuf}\n`;
  const computed = Buffer.from(createHmac('sha256', expected.secretKey).update(content).digest('base64'));
  const given = Buffer.from(sig);
  if (computed.length !== given.length || !timingSafeEqual(computed, given))
    return { valid: false, reason: 'userSig signature does not match' };
  return { valid: true };
}
