/**
 * The IM app admin's UserSig, which signs every IM REST call (`usersig=` in the query). Signing is
 * cheap, but a fresh sig per request would make every request look different to Tencent's own
 * cache; so one sig is kept per process and replaced once half of its lifetime has passed, long
 * before it expires (a request in flight never carries a sig about to lapse).
 */
import { createUserSigner, type UserSigner } from '../user-sig.js';

export interface AdminSigOptions {
  sdkAppId: number;
  secretKey: string;
  admin: string;
  /** Lifetime of one admin sig (default one day). */
  expireSeconds?: number;
  now?: () => number;
  /** Signs the admin account (default: tls-sig-api-v2 with the options above). */
  signer?: Pick<UserSigner, 'sign'>;
}

export interface AdminSig {
  /** The current admin sig, renewed when half of its lifetime has passed. */
  current(): string;
}

export function createAdminSig({
  sdkAppId,
  secretKey,
  admin,
  expireSeconds = 24 * 3600,
  now = Date.now,
  signer = createUserSigner({ sdkAppId, secretKey, expireSeconds }),
}: AdminSigOptions): AdminSig {
  let cached: { sig: string; renewAt: number } | null = null;
  return {
    current() {
      const at = now();
      if (cached === null || at >= cached.renewAt) {
        cached = { sig: signer.sign(admin), renewAt: at + (expireSeconds * 1000) / 2 };
      }
      return cached.sig;
    },
  };
}
