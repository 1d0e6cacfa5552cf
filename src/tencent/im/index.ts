/** Tencent IM: the REST client and the durable queue every IM call of this server goes through. */
import type { Registry } from 'prom-client';
import type { AppConfig } from '../../config/index.js';
import type { RedisClient, RedisTarget } from '../../redis/connection.js';
import { bullPrefixOf, type RuntimeLogger } from '../../runtime/index.js';
import { createImClient } from './im-client.js';
import { createImDelivery, IM_QUEUE_NAME } from './im-delivery.js';

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
  redis: RedisClient;
  /** Where the delivery queue's own connections go (one node or a cluster). */
  redisTarget: RedisTarget;
  prefix: string;
  logger: RuntimeLogger;
  metrics: Registry;
}

export function createTencentIm({ tencent, redis, redisTarget, prefix, logger, metrics }: TencentImDeps) {
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
    bullPrefix: bullPrefixOf(prefix, IM_QUEUE_NAME),
    connection: redisTarget,
    logger,
    metrics,
    ratePerSecond: tencent.im.ratePerSecond,
    maxBackoffMs: tencent.im.maxBackoffMs,
  });
  return { client, delivery };
}

export type TencentIm = ReturnType<typeof createTencentIm>;
