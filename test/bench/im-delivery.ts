import { Registry } from 'prom-client';
import { createRedisClient, parseRedisTarget } from '../../src/redis/connection.js';
import { bullPrefixOf } from '../../src/runtime/index.js';
import { createImClient, IM_COMMANDS } from '../../src/tencent/im/im-client.js';
import { createImDelivery } from '../../src/tencent/im/im-delivery.js';
import { startFakeTencentIm } from '../helpers/fake-tencent-im.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Tencent IM group messages through the server's own delivery queue (BullMQ `tencent-im`, its
 * Redis-wide limiter at Tencent's 200 calls/s) to the IM stand-in, which answers a rate-limit error
 * to anything faster. `messages` messages over `rooms` groups are queued at once; the figure is how
 * many reach the stand-in per second, and whether every one arrived exactly once.
 */
export async function imNoticeDelivery(options: {
  redisUrl: string;
  prefix: string;
  rooms: number;
  messages: number;
  ratePerSecond: number;
}): Promise<{ delivered: number; duplicates: number; lost: number; perSecond: number; seconds: number }> {
  const im = await startFakeTencentIm({ rateLimit: options.ratePerSecond });
  const target = parseRedisTarget(options.redisUrl);
  const redis = createRedisClient(target, { enableAutoPipelining: true });
  const client = createImClient({
    apiBase: im.url,
    sdkAppId: im.sdkAppId,
    secretKey: im.secretKey,
    admin: im.admin,
    timeoutMs: 2_000,
  });
  const delivery = createImDelivery({
    client,
    redis,
    prefix: options.prefix,
    bullPrefix: bullPrefixOf(options.prefix, 'tencent-im'),
    connection: target,
    logger: quiet,
    metrics: new Registry(),
    ratePerSecond: options.ratePerSecond,
    maxBackoffMs: 500,
  });
  try {
    const groups = Array.from({ length: options.rooms }, (_, i) => `bench_group_${i}`);
    for (const group of groups)
      await client.call(IM_COMMANDS.createGroup, {
        GroupId: group,
        Type: 'AVChatRoom',
        Name: group,
        Owner_Account: im.admin,
      });
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the stand-in's rate window empties
    const before = im.messages.length;
    const started = performance.now();
    delivery.start();
    for (let i = 0; i < options.messages; i += 200) {
      await Promise.all(
        Array.from({ length: Math.min(200, options.messages - i) }, (_, j) => {
          const n = i + j;
          const group = groups[n % groups.length]!;
          return delivery.enqueue({
            id: `bench-${n}`,
            orderKey: `room-${group}`,
            command: IM_COMMANDS.sendGroupMessage,
            body: {
              GroupId: group,
              MsgBody: [
                { MsgType: 'TIMTextElem', MsgContent: { Text: JSON.stringify({ type: 'num', content: n }) } },
              ],
            },
          });
        }),
      );
    }
    const deadline = Date.now() + (options.messages / options.ratePerSecond) * 1000 * 3 + 10_000;
    while (im.messages.length - before < options.messages && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const seconds = (performance.now() - started) / 1000;
    const seen = new Map<string, number>();
    for (const message of im.messages.slice(before)) {
      const key = `${message.to} ${message.rawText}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    const delivered = seen.size;
    const duplicates = [...seen.values()].reduce((sum, count) => sum + count - 1, 0);
    return {
      delivered,
      duplicates,
      lost: options.messages - delivered,
      perSecond: delivered / seconds,
      seconds,
    };
  } finally {
    await delivery.close();
    redis.disconnect();
    await im.close();
  }
}
