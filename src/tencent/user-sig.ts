/**
 * Tencent Cloud TLS user signatures (UserSig) for IM / TRTC / live, as the QLive login returns them
 * in `user_sign` / `user_sig`. Signing is delegated to Tencent's own `tls-sig-api-v2` package so the
 * format stays exactly what Tencent's servers verify.
 */
import { createRequire } from 'node:module';
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
