import type { AppConfig } from '../config/index.js';
import { playUrl, pushUrl, type StreamKind, streamNameFor } from './live-urls.js';
import { createUserSigner } from './user-sig.js';

/** Tencent push/play URLs and user signatures with the configured domains, keys and lifetimes. */
export function createLiveStreams(tencent: AppConfig['tencent']) {
  const signer = createUserSigner({ sdkAppId: tencent.sdkAppId, secretKey: tencent.secretKey });
  const expiresAt = () => Date.now() + tencent.urlTtlSeconds * 1000;

  return {
    sdkAppId: tencent.sdkAppId,
    userSig: (userId: number) => signer.sign(String(userId)),
    userSigExpiresAt: () => signer.expiresAt(),
    pushUrl: (kind: StreamKind, instanceId: string, userId: number) =>
      pushUrl({
        domain: tencent.pushDomain,
        streamName: streamNameFor(kind, instanceId, userId),
        key: tencent.pushKey,
        expiresAt: expiresAt(),
      }),
    playUrl: (kind: StreamKind, instanceId: string, userId: number) =>
      playUrl({ domain: tencent.playDomain, streamName: streamNameFor(kind, instanceId, userId) }),
  };
}

export type LiveStreams = ReturnType<typeof createLiveStreams>;
