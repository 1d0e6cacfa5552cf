/**
 * Delayed machine events on BullMQ: every delayed `xstate.raise` becomes one delayed job with a
 * deterministic id (keys.ts `delayedJobId`), every `xstate.cancel` removes it. When a job fires,
 * the worker hands its event back to the runtime, which applies it only if the timer is still
 * armed (effect-plan.ts) and the machine accepts it.
 *
 * BullMQ facts relied on (bullmq 5, checked in its Lua): adding a job whose id still exists in any
 * state (delayed, waiting, active, kept completed/failed) is a no-op that returns the existing
 * job, so re-running an outbox entry never doubles a timer. Once a job is removed (here: right
 * after it completes) its id can be added again and will run again; that re-run is harmless
 * because the fired timer is no longer armed. `Queue.remove` refuses (returns 0) for an active
 * (locked) job and is a no-op for an unknown id; both are fine for a cancel. Jobs are
 * at-least-once (a stalled job can run twice); the armed-timer check makes that harmless too.
 */
import { type Job, Queue, type RedisOptions, Worker } from 'bullmq';
import { bullConnection, type RedisClient, type RedisTarget } from '../redis/connection.js';
import type { RuntimeEvent, RuntimeLogger } from './types.js';

export { connectionFromUrl } from '../redis/connection.js';

export const DEFAULT_QUEUE_NAME = 'machine-events';

export interface DelayedEventData {
  kind: string;
  id: string;
  sendId: string;
  event: RuntimeEvent;
  /** The raise's delay: a touched timer (timer-touch.ts) is deferred to `touch + delayMs`. */
  delayMs?: number;
  /** A deferred job: the job id its timer is armed with (the job that deferred it). */
  armedAs?: string;
}

export interface DelayedEventsOptions {
  /**
   * One node's connection options, or a target (redis/connection.ts) that may be a Redis Cluster;
   * the queue and the worker each open their own connections.
   */
  connection: RedisOptions | RedisTarget;
  /**
   * The queue's commands go through this client instead of a connection of their own (the worker
   * still opens its own). The runtime hands it its auto-pipelined command client, so a transition's
   * timer jobs leave in the same write as its pushes and outbox commands: one round trip, not three.
   */
  client?: RedisClient;
  /** BullMQ key prefix (no trailing ':'); on a cluster it must hold a hash tag (keys.ts `bullPrefixOf`). */
  prefix: string;
  name?: string;
  /** Jobs processed at once per worker (default 16). */
  concurrency?: number;
  /** Attempts per job when delivering it throws, e.g. Redis unreachable (default 5, exponential from 500 ms). */
  attempts?: number;
  logger: RuntimeLogger;
}

export type DelayedEventHandler = (data: DelayedEventData, jobId: string) => Promise<unknown>;

export class DelayedEvents {
  readonly queue: Queue<DelayedEventData>;
  private worker: Worker<DelayedEventData> | null = null;
  /** Cluster clients made here: BullMQ does not close a client it was handed. */
  private readonly clusterClients: RedisClient[] = [];

  constructor(private readonly options: DelayedEventsOptions) {
    this.queue = new Queue<DelayedEventData>(this.name, {
      connection: options.client ?? bullConnection(options.connection, {}, this.clusterClients),
      prefix: options.prefix,
    });
    this.queue.on('error', (err) => options.logger.error({ err }, 'machine-events queue error'));
  }

  get name(): string {
    return this.options.name ?? DEFAULT_QUEUE_NAME;
  }

  async schedule(jobId: string, data: DelayedEventData, dueAt: number): Promise<void> {
    await this.queue.add(data.event.type, data, {
      jobId,
      delay: Math.max(0, dueAt - Date.now()),
      attempts: this.options.attempts ?? 5,
      backoff: { type: 'exponential', delay: 500 },
      // Completed jobs go at once: nothing reads them, and a kept job would block its id.
      removeOnComplete: true,
      // Failed ones stay a while for the admin to look at.
      removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
    });
  }

  /** A job as BullMQ has it: its state (`delayed`, `waiting`, `active`, `failed`…) and when it is due; null when gone. */
  async describe(jobId: string): Promise<{ state: string; dueAt: number; attempts: number } | null> {
    const job = await this.queue.getJob(jobId);
    if (!job) return null;
    return {
      state: await job.getState(),
      dueAt: job.timestamp + (job.opts.delay ?? 0),
      attempts: job.attemptsMade,
    };
  }

  async unschedule(jobId: string): Promise<void> {
    await this.queue.remove(jobId);
  }

  start(handler: DelayedEventHandler): void {
    if (this.worker) return;
    const { logger } = this.options;
    this.worker = new Worker<DelayedEventData>(
      this.name,
      async (job: Job<DelayedEventData>) => handler(job.data, job.id ?? ''),
      {
        // Workers block on Redis: BullMQ requires maxRetriesPerRequest: null on their connections.
        connection: bullConnection(
          this.options.connection,
          { maxRetriesPerRequest: null },
          this.clusterClients,
        ),
        prefix: this.options.prefix,
        concurrency: this.options.concurrency ?? 64,
      },
    );
    this.worker.on('error', (err) => logger.error({ err }, 'machine-events worker error'));
    this.worker.on('failed', (job, err) =>
      logger.warn({ err, jobId: job?.id, attempts: job?.attemptsMade }, 'delayed machine event failed'),
    );
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.close();
    await this.queue.close();
    for (const client of this.clusterClients.splice(0)) client.disconnect();
  }
}
