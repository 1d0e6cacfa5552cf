/**
 * The durable queue every IM call of this server goes through (BullMQ queue `tencent-im`), so a
 * slow or failing Tencent never slows or fails a request and never loses a call:
 *
 * - `enqueue` only writes to Redis. A call has a stable id (e.g. the room transition's effect key);
 *   queueing the same id again (an effect re-run after a crash) neither doubles nor re-sends it.
 * - Calls of one order key (a room, a user) go out one at a time in the order they were queued:
 *   a call waits (polling every `waitPollMs`, and promoted at once when its predecessor is done)
 *   until every older call of its key is done.
 * - Failures Tencent may get over (network, timeout, HTTP 5xx, rate limit, internal error) are
 *   retried with exponential backoff capped at `maxBackoffMs`, for as long as it takes; each
 *   retry is logged and counted (`tencent_im_calls_total{outcome="retry"}`), and a call that gets
 *   through after failures is logged as recovered. A permanent error (unknown group or account,
 *   malformed request) is logged, counted (`outcome="failed"`) and skipped, so it blocks nothing.
 * - Workers of every process share one rate limit (BullMQ's limiter lives in Redis): at most
 *   `ratePerSecond` calls in any second (Tencent's 200 calls/s for send_group_msg).
 * - Messages carry `MsgRandom` (C2C) / `Random` (group) derived from the call id, so a retry after a
 *   send that reached Tencent but whose answer was lost is dropped by Tencent as a duplicate
 *   (Tencent drops a message whose random repeats within 5 minutes) and never shows twice.
 */
import { createHash } from 'node:crypto';
import { DelayedError, type Job, Queue, type RedisOptions, UnrecoverableError, Worker } from 'bullmq';
import { Counter, type Registry } from 'prom-client';
import { CAPPED_BACKOFF, cappedBackoffSettings } from '../../redis/capped-backoff.js';
import { bullConnection, type RedisClient, type RedisTarget } from '../../redis/connection.js';
import type { RuntimeLogger } from '../../runtime/index.js';
import { createDeliveryOrder } from './delivery-order.js';
import {
  IM_COMMANDS,
  IM_GROUP_GONE_CODES,
  type ImAnswer,
  type ImClient,
  type ImCommand,
  ImError,
} from './im-client.js';

export const IM_QUEUE_NAME = 'tencent-im';

/** One IM REST call as queued. */
export interface ImCall {
  /** Stable and unique per call: queueing the same id again is a no-op. */
  id: string;
  /** Calls with the same key are sent one at a time, in the order queued (e.g. `room-12`, `user-42`). */
  orderKey: string;
  command: ImCommand;
  body: Record<string, unknown>;
  /**
   * Work to do with Tencent's answer once the call went through (e.g. store a created group's id):
   * the name of a follow-up registered with `onDelivered` in every process, and its arguments.
   */
  followUp?: { name: string; args: Record<string, unknown> };
}

export type ImFollowUp = (answer: ImAnswer, args: Record<string, unknown>, call: ImCall) => Promise<void>;

interface ImJobData extends ImCall {
  queuedAt: number;
}

export interface ImDeliveryOptions {
  client: ImClient;
  /** Commands (ordering, done markers). */
  redis: RedisClient;
  /** Key prefix of this deployment (e.g. `co:`). */
  prefix: string;
  /** BullMQ's prefix (no trailing ':'). */
  bullPrefix: string;
  /** For the queue's and worker's own connections: one node's options, or a target that may be a cluster. */
  connection: RedisOptions | RedisTarget;
  logger: RuntimeLogger;
  ratePerSecond?: number;
  /** Calls sent at once per process (default 16). */
  concurrency?: number;
  maxBackoffMs?: number;
  /** How often a call waiting behind an older one checks again, when not promoted earlier. */
  waitPollMs?: number;
  metrics?: Registry;
}

/** A uint32 derived from the call id: the same on every attempt of that call. */
export function stableRandomOf(callId: string): number {
  return createHash('sha256').update(callId).digest().readUInt32BE(0);
}

/** BullMQ job ids may not contain ':' and must not be integers. */
const jobIdOf = (callId: string) =>
  `im-${createHash('sha256').update(callId).digest('base64url').slice(0, 32)}`;

function withStableRandom(call: ImCall): Record<string, unknown> {
  if (call.command === IM_COMMANDS.sendC2cMessage && call.body.MsgRandom === undefined)
    return { ...call.body, MsgRandom: stableRandomOf(call.id) };
  if (call.command === IM_COMMANDS.sendGroupMessage && call.body.Random === undefined)
    return { ...call.body, Random: stableRandomOf(call.id) };
  return call.body;
}

/**
 * BullMQ's limiter counts jobs per window of `duration` ms, each window opened by the first job
 * after the last one closed, so windows are not aligned to Tencent's seconds. Any one second
 * overlaps at most k + 1 windows of 1000/k ms, so `rate / (k + 1)` jobs per window never exceed
 * `rate` in any second, however the windows fall (k ≤ 9 keeps at least 90% of the rate).
 */
export function limiterFor(ratePerSecond: number): { max: number; duration: number } {
  const rate = Math.max(2, Math.floor(ratePerSecond));
  const windows = Math.min(9, rate - 1);
  return { max: Math.floor(rate / (windows + 1)), duration: Math.ceil(1000 / windows) };
}

/** Destroying a group Tencent no longer has (dissolved in the console, expired, never made) is done, not failed. */
function alreadyDone(call: ImCall, error: unknown): boolean {
  return (
    call.command === IM_COMMANDS.destroyGroup &&
    error instanceof ImError &&
    error.errorCode !== null &&
    IM_GROUP_GONE_CODES.has(error.errorCode)
  );
}

export function createImDelivery(options: ImDeliveryOptions) {
  const { client, logger } = options;
  const order = createDeliveryOrder(options.redis, options.prefix);
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const waitPollMs = options.waitPollMs ?? 1_000;
  const calls = new Counter({
    name: 'tencent_im_calls_total',
    help: 'Tencent IM REST calls by command and outcome (ok, retry: failed and will be tried again, failed: given up, recovered: ok after failures)',
    labelNames: ['command', 'outcome'],
    registers: options.metrics ? [options.metrics] : [],
  });
  const clusterClients: RedisClient[] = [];
  const queue = new Queue<ImJobData>(IM_QUEUE_NAME, {
    connection: bullConnection(options.connection, {}, clusterClients),
    prefix: options.bullPrefix,
  });
  queue.on('error', (err) => logger.error({ err }, 'tencent-im queue error'));
  let worker: Worker<ImJobData> | null = null;

  async function enqueue(call: ImCall): Promise<void> {
    const registered = await order.register(call.orderKey, call.id);
    if (registered === 'done') return;
    const data: ImJobData = { ...call, body: withStableRandom(call), queuedAt: Date.now() };
    // A re-run after a crash between the two writes adds the job now; BullMQ ignores a known id.
    await queue.add(call.command, data, {
      jobId: jobIdOf(call.id),
      attempts: 1_000_000,
      backoff: CAPPED_BACKOFF,
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
    });
  }

  const followUps = new Map<string, ImFollowUp>();

  /** After a successful call, its follow-up runs once; a failing one is logged, never re-sends the call. */
  async function runFollowUp(call: ImCall, followUp: NonNullable<ImCall['followUp']>, answer: ImAnswer) {
    const handler = followUps.get(followUp.name);
    if (!handler) {
      logger.error({ callId: call.id, followUp: followUp.name }, 'no handler for a Tencent IM follow-up');
      return;
    }
    try {
      await handler(answer, followUp.args, call);
    } catch (err) {
      logger.error({ err, callId: call.id, followUp: followUp.name }, 'Tencent IM follow-up failed');
    }
  }

  async function promote(callId: string): Promise<void> {
    const job = await queue.getJob(jobIdOf(callId));
    if (job && (await job.isDelayed())) await job.promote().catch(() => {});
  }

  async function process(job: Job<ImJobData>, token?: string): Promise<void> {
    const call = job.data;
    const turn = await order.turnOf(call.orderKey, call.id);
    if (turn === 'done') return;
    if (turn === 'wait') {
      await job.moveToDelayed(Date.now() + waitPollMs, token);
      throw new DelayedError();
    }
    let answer: ImAnswer;
    try {
      answer = await client.call(call.command, call.body);
    } catch (error) {
      if (error instanceof ImError && error.retryable) {
        calls.inc({ command: call.command, outcome: 'retry' });
        logger.warn(
          { err: error, callId: call.id, command: call.command, attempt: job.attemptsMade + 1 },
          'Tencent IM call failed; it stays queued and is retried',
        );
        throw error;
      }
      if (alreadyDone(call, error)) {
        calls.inc({ command: call.command, outcome: 'ok' });
        logger.info(
          { callId: call.id, command: call.command },
          'Tencent IM group already gone: nothing to destroy',
        );
        const next = await order.complete(call.orderKey, call.id);
        if (next) await promote(next);
        return;
      }
      calls.inc({ command: call.command, outcome: 'failed' });
      logger.error({ err: error, callId: call.id, command: call.command }, 'Tencent IM call given up');
      const next = await order.complete(call.orderKey, call.id);
      if (next) await promote(next);
      throw new UnrecoverableError((error as Error).message);
    }
    calls.inc({ command: call.command, outcome: 'ok' });
    if (job.attemptsMade > 0) {
      calls.inc({ command: call.command, outcome: 'recovered' });
      logger.info(
        { callId: call.id, command: call.command, failedAttempts: job.attemptsMade, queuedAt: call.queuedAt },
        'Tencent IM call delivered after failures',
      );
    }
    if (call.followUp) await runFollowUp(call, call.followUp, answer);
    const next = await order.complete(call.orderKey, call.id);
    if (next) await promote(next);
  }

  return {
    queue,
    enqueue,
    /** Registers what a call's `followUp` names; every process that runs a worker must register it. */
    onDelivered(name: string, handler: ImFollowUp): void {
      followUps.set(name, handler);
    },
    /** Starts this process's worker (idempotent). */
    start(): void {
      if (worker) return;
      worker = new Worker<ImJobData>(IM_QUEUE_NAME, process, {
        connection: bullConnection(options.connection, { maxRetriesPerRequest: null }, clusterClients),
        prefix: options.bullPrefix,
        concurrency: options.concurrency ?? 16,
        limiter: limiterFor(options.ratePerSecond ?? 200),
        settings: cappedBackoffSettings(250, maxBackoffMs),
      });
      worker.on('error', (err) => logger.error({ err }, 'tencent-im worker error'));
    },
    async close(): Promise<void> {
      const running = worker;
      worker = null;
      await running?.close();
      await queue.close();
      for (const cluster of clusterClients.splice(0)) cluster.disconnect();
    },
  };
}

export type ImDelivery = ReturnType<typeof createImDelivery>;
