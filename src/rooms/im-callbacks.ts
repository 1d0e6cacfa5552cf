/**
 * Tencent IM's callbacks (qlive-realtime.md §5) as durable work: `im_notify/` stores each callback
 * that asks for room work on the BullMQ queue `qlive-im-callbacks` and answers; a worker in every
 * process then runs it on the room (the logout procedure, members leaving the group), so neither a
 * process that dies after answering nor a failing room operation (Redis or Postgres gone for a
 * moment) loses a logout or a member's exit. Tencent ignores the answer to an after-event callback
 * and never sends it again, so the queue is the only second chance the work gets:
 *
 * - The job id is a hash of the command and the body as Tencent sent it, so a callback delivered
 *   twice (Tencent stamps every event with its `EventTime`, so two real events differ) is stored
 *   once; a stored one is remembered for `DEDUPLICATION_WINDOW_SECONDS` after it is done.
 * - Work that fails is retried with exponential backoff (250 ms doubling, at most 30 s apart) for
 *   about 45 minutes, each failure logged and counted (`qlive_im_callbacks_total{outcome="retry"}`),
 *   then given up (`outcome="failed"`, kept in BullMQ's failed set for a week).
 * - A room that refuses (it ended, the user already left) is done: there is nothing left to do.
 */
import { createHash } from 'node:crypto';
import { type Job, Queue, type RedisOptions, Worker } from 'bullmq';
import { Counter, type Registry } from 'prom-client';
import { AppError } from '../errors.js';
import { CAPPED_BACKOFF, cappedBackoffSettings } from '../redis/capped-backoff.js';
import { bullConnection, type RedisClient, type RedisTarget } from '../redis/connection.js';
import { bullPrefixOf, type RuntimeLogger } from '../runtime/index.js';
import type { RoomsService } from './rooms.service.js';

export const IM_CALLBACK_QUEUE_NAME = 'qlive-im-callbacks';

/** The callbacks QLive's server handles; any other command is refused ("CallbackCommand Error"). */
export const IM_CALLBACK_COMMANDS = ['State.StateChange', 'Group.CallbackAfterMemberExit'] as const;
export type ImCallbackCommand = (typeof IM_CALLBACK_COMMANDS)[number];

/** The room work a callback asks for. */
export type ImCallbackWork =
  | { type: 'logout'; userId: number }
  | { type: 'members-exited'; groupId: string; userIds: number[] };

/** What became of a callback: stored for the worker, or nothing to do (e.g. a `Login`). */
export type ImCallbackTaken = 'stored' | 'nothing-to-do';

/** A done callback's id is kept this long, so the same callback delivered again is not run again. */
const DEDUPLICATION_WINDOW_SECONDS = 3600;
/** 250 ms doubling to 30 s: about 45 minutes of attempts. */
const ATTEMPTS = 100;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 30_000;

export const isImCallbackCommand = (command: string | undefined): command is ImCallbackCommand =>
  (IM_CALLBACK_COMMANDS as readonly (string | undefined)[]).includes(command);

const accountId = (value: unknown): number | null =>
  typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : null;

/** The room work of a callback as Tencent sends it (§5.2), or null when it asks for none. */
export function workOf(command: ImCallbackCommand, body: Record<string, unknown>): ImCallbackWork | null {
  if (command === 'State.StateChange') {
    const info = body.Info as Record<string, unknown> | undefined;
    const userId = accountId(info?.To_Account);
    // Login and Disconnect are no presence signal we act on (§5.2): a crashed client is not seen here.
    return info?.Action === 'Logout' && userId !== null ? { type: 'logout', userId } : null;
  }
  if (typeof body.GroupId !== 'string' || body.GroupId === '') return null;
  const list = Array.isArray(body.ExitMemberList) ? body.ExitMemberList : [];
  const userIds = list
    .map((member) => accountId((member as Record<string, unknown> | null)?.Member_Account))
    .filter((id): id is number => id !== null);
  return { type: 'members-exited', groupId: body.GroupId, userIds };
}

/** BullMQ job ids may not contain ':' and must not be integers. */
export const callbackJobId = (command: string, body: unknown): string =>
  `cb-${createHash('sha256')
    .update(`${command}\n${JSON.stringify(body)}`)
    .digest('base64url')
    .slice(0, 32)}`;

interface ImCallbackJob {
  command: ImCallbackCommand;
  work: ImCallbackWork;
  receivedAt: number;
}

export interface ImCallbacksDeps {
  rooms: Pick<RoomsService, 'logout' | 'membersExitedGroup'>;
  /** Key prefix of this deployment (e.g. `co:`); the queue's BullMQ prefix is derived from it. */
  prefix: string;
  /** For the queue's and worker's own connections: one node's options, or a target that may be a cluster. */
  connection: RedisOptions | RedisTarget;
  logger: RuntimeLogger;
  metrics?: Registry;
  /** Callbacks worked on at once per process (default 8). */
  concurrency?: number;
}

export function createImCallbacks(deps: ImCallbacksDeps) {
  const { logger } = deps;
  const bullPrefix = bullPrefixOf(deps.prefix, IM_CALLBACK_QUEUE_NAME);
  const counted = new Counter({
    name: 'qlive_im_callbacks_total',
    help: 'Tencent IM callbacks by command and outcome (stored: queued, or known already when delivered again; done: its room work ran once; retry: the room work failed and will be tried again; failed: given up; not_stored: Redis refused it at the callback)',
    labelNames: ['command', 'outcome'],
    registers: deps.metrics ? [deps.metrics] : [],
  });
  const clusterClients: RedisClient[] = [];
  const queue = new Queue<ImCallbackJob>(IM_CALLBACK_QUEUE_NAME, {
    connection: bullConnection(deps.connection, {}, clusterClients),
    prefix: bullPrefix,
  });
  queue.on('error', (err) => logger.error({ err }, 'qlive-im-callbacks queue error'));
  let worker: Worker<ImCallbackJob> | null = null;

  /** Stores the callback's work (resolves once Redis has it); a callback delivered again is a no-op. */
  async function take(command: ImCallbackCommand, body: Record<string, unknown>): Promise<ImCallbackTaken> {
    const work = workOf(command, body);
    if (!work) return 'nothing-to-do';
    try {
      await queue.add(
        work.type,
        { command, work, receivedAt: Date.now() },
        {
          jobId: callbackJobId(command, body),
          attempts: ATTEMPTS,
          backoff: CAPPED_BACKOFF,
          removeOnComplete: { age: DEDUPLICATION_WINDOW_SECONDS },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      );
    } catch (err) {
      counted.inc({ command, outcome: 'not_stored' });
      logger.error({ err, command, work }, 'Tencent IM callback not stored: its room work is lost');
      throw err;
    }
    counted.inc({ command, outcome: 'stored' });
    return 'stored';
  }

  async function run({ work }: ImCallbackJob): Promise<void> {
    if (work.type === 'logout') await deps.rooms.logout(work.userId);
    else await deps.rooms.membersExitedGroup(work.groupId, work.userIds);
  }

  async function process(job: Job<ImCallbackJob>): Promise<void> {
    const { command, work } = job.data;
    try {
      await run(job.data);
    } catch (err) {
      if (err instanceof AppError) {
        // The room refused (it ended, the user is gone): what the callback asked for is already so.
        logger.info({ err, command, work }, 'Tencent IM callback: the room has nothing to do');
        counted.inc({ command, outcome: 'done' });
        return;
      }
      const willRetry = job.attemptsMade + 1 < (job.opts.attempts ?? 1);
      counted.inc({ command, outcome: willRetry ? 'retry' : 'failed' });
      const log = { err, command, work, attempt: job.attemptsMade + 1 };
      if (willRetry) logger.warn(log, 'Tencent IM callback work failed; it is retried');
      else logger.error(log, 'Tencent IM callback work given up after its last attempt');
      throw err;
    }
    counted.inc({ command, outcome: 'done' });
    if (job.attemptsMade > 0)
      logger.info(
        { command, work, failedAttempts: job.attemptsMade },
        'Tencent IM callback work done after failures',
      );
  }

  return {
    take,
    /** Starts this process's worker (idempotent). */
    start(): void {
      if (worker) return;
      worker = new Worker<ImCallbackJob>(IM_CALLBACK_QUEUE_NAME, process, {
        connection: bullConnection(deps.connection, { maxRetriesPerRequest: null }, clusterClients),
        prefix: bullPrefix,
        concurrency: deps.concurrency ?? 8,
        settings: cappedBackoffSettings(FIRST_BACKOFF_MS, MAX_BACKOFF_MS),
      });
      worker.on('error', (err) => logger.error({ err }, 'qlive-im-callbacks worker error'));
    },
    /** The worker finishes the callbacks it holds and takes no more; stored ones wait in Redis. */
    async close(): Promise<void> {
      const running = worker;
      worker = null;
      await running?.close();
      await queue.close();
      for (const cluster of clusterClients.splice(0)) cluster.disconnect();
    },
  };
}

export type ImCallbacks = ReturnType<typeof createImCallbacks>;
