/** Tencent IM: the REST client and the durable queue every IM call of this server goes through. */
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { AppConfig } from '../../config/index.js';
import { connectionFromUrl, type RuntimeLogger } from '../../runtime/index.js';
import { bullPrefixOf } from '../../runtime/keys.js';
import { createImClient } from './im-client.js';
import { createImDelivery } from './im-delivery.js';

export {
  IM_COMMANDS,
  IM_GROUP_GONE_CODES,
  type ImAnswer,
  type ImClient,
  type ImCommand,
  ImError,
} from './im-client.js';
export { type ImCall, type ImDelivery, type ImFollowUp, stableRandomOf } from './im-delivery.js';

export interface TencentImDeps {
  tencent: AppConfig['tencent'];
  redis: Redis;
  redisUrl: string;
  prefix: string;
  logger: RuntimeLogger;
  metrics: Registry;
}

export function createTencentIm({ tencent, redis, redisUrl, prefix, logger, metrics }: TencentImDeps) {
  const client = createImClient({
    apiBase: tencent.im.apiBase,
    sdkAppId: tencent.sdkAppId,
    secretKey: tencent.secretKey,
    admin: tencent.im.admin,
    timeoutMs: tencent.im.timeoutMs,
  });
  const delivery = createImDelivery({
    client,
    redis,
    prefix,
    bullPrefix: bullPrefixOf(prefix),
    connection: connectionFromUrl(redisUrl),
    logger,
    metrics,
    ratePerSecond: tencent.im.ratePerSecond,
    maxBackoffMs: tencent.im.maxBackoffMs,
  });
  return { client, delivery };
}

export type TencentIm = ReturnType<typeof createTencentIm>;
