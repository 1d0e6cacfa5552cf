/**
 * `recoverPending`: finds instances whose outbox batches are older than a threshold (a process
 * died between the save and the end of the effects, or an effect / `onFinal` threw) and runs those
 * batches again, oldest first, through the same BatchRunner as the live path. Safe because every
 * effect is idempotent (see batch-runner.ts). Claiming an instance moves its outbox score to now,
 * so concurrent recoveries in other processes leave it alone for another threshold.
 *
 * `retrySoon`: a batch that failed on the live path (Redis briefly unreachable, say a Redis Cluster
 * master restarting, while its timer was being scheduled) is run again by the same process after a
 * short, doubling delay, so a call does not sit with an armed timer that has no job for the whole
 * recovery threshold. The process stops retrying once the batch is as old as the threshold: from
 * then on the periodic recovery (of any process) owns it.
 */
import type { BatchRunner } from './batch-runner.js';
import type { MachineStore, OutboxBatch } from './machine-store.js';
import type { InstanceState, RuntimeLogger } from './types.js';

export interface RecoveryReport {
  /** Instances claimed. */
  instances: number;
  /** Batches run again. */
  batches: number;
  /** Batches (or instances) that failed again and stay pending. */
  failed: number;
}

export interface RecoveryOptions {
  /** Only batches at least this old are run (default: the runtime's `recoverAfterMs`). */
  olderThanMs?: number;
  /** Instances claimed per index group and call (default 100). */
  limit?: number;
}

export interface OutboxRecoveryDeps<K extends string> {
  store: MachineStore;
  runner: BatchRunner<K>;
  kinds: readonly string[];
  get(kind: K, id: string): Promise<InstanceState | null>;
  recoverAfterMs: number;
  /** First delay of `retrySoon` (doubling up to 10×); 0: failed batches wait for the periodic recovery. */
  retryFailedMs: number;
  logger: RuntimeLogger;
}

interface PendingRetry {
  timer: NodeJS.Timeout;
  /** Batches up to this version are run again; later ones are still running on the live path. */
  upToVersion: number;
  /** When the oldest failed batch was saved: retries stop once it is `recoverAfterMs` old. */
  savedAt: number;
  attempt: number;
}

export class OutboxRecovery<K extends string> {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private readonly retries = new Map<string, PendingRetry>();
  private readonly retrying = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly deps: OutboxRecoveryDeps<K>) {}

  async run(options: RecoveryOptions = {}): Promise<RecoveryReport> {
    const { store, logger } = this.deps;
    const olderThanMs = options.olderThanMs ?? this.deps.recoverAfterMs;
    const now = Date.now();
    const claimed = await store.claimPending(this.deps.kinds, now - olderThanMs, now, options.limit ?? 100);
    const report: RecoveryReport = { instances: 0, batches: 0, failed: 0 };
    for (const { kind, id } of claimed) {
      report.instances++;
      try {
        const savedBefore = now - olderThanMs;
        await this.recoverInstance(kind as K, id, (batch) => batch.savedAt <= savedBefore, report);
      } catch (err) {
        report.failed++;
        logger.error({ err, kind, id }, 'recovering machine effects failed');
      }
    }
    return report;
  }

  /** Runs the instance's pending batches that `due` selects, oldest first; false when one failed again. */
  private async recoverInstance(
    kind: K,
    id: string,
    due: (batch: OutboxBatch) => boolean,
    report: RecoveryReport,
  ): Promise<boolean> {
    const { store, runner, logger } = this.deps;
    const { exists, batches } = await store.pendingBatches(kind, id);
    if (!exists) {
      await store.dropFromOutbox(kind, id);
      return true;
    }
    const current = await this.deps.get(kind, id);
    for (const batch of batches) {
      if (!due(batch)) continue;
      report.batches++;
      logger.info({ kind, id, version: batch.version }, 'recovering machine effects');
      if (!(await runner.complete(kind, id, batch, current, true))) {
        report.failed++;
        return false; // keep the order: later batches wait for this one
      }
    }
    return true;
  }

  /** The live path's batch `batch` of `kind:id` failed: run it (and any older pending one) again soon. */
  retrySoon(kind: K, id: string, batch: Pick<OutboxBatch, 'version' | 'savedAt'>): void {
    const { retryFailedMs } = this.deps;
    if (retryFailedMs <= 0 || this.stopped) return;
    const key = `${kind}:${id}`;
    const pending = this.retries.get(key);
    if (pending) {
      pending.upToVersion = Math.max(pending.upToVersion, batch.version);
      return;
    }
    this.scheduleRetry(kind, id, { upToVersion: batch.version, savedAt: batch.savedAt, attempt: 1 });
  }

  private scheduleRetry(kind: K, id: string, retry: Omit<PendingRetry, 'timer'>): void {
    const { retryFailedMs, recoverAfterMs } = this.deps;
    const delay = retryFailedMs * Math.min(2 ** (retry.attempt - 1), 10) * (1 + Math.random() / 5);
    if (this.stopped || Date.now() + delay - retry.savedAt >= recoverAfterMs) return;
    const key = `${kind}:${id}`;
    const timer = setTimeout(() => {
      const current = this.retries.get(key);
      this.retries.delete(key);
      if (!current || this.stopped) return;
      const run = this.retryNow(kind, id, current).finally(() => this.retrying.delete(run));
      this.retrying.add(run);
    }, delay);
    timer.unref();
    this.retries.set(key, { ...retry, timer });
  }

  private async retryNow(kind: K, id: string, retry: PendingRetry): Promise<void> {
    const report: RecoveryReport = { instances: 1, batches: 0, failed: 0 };
    let done = false;
    try {
      done = await this.recoverInstance(kind, id, (batch) => batch.version <= retry.upToVersion, report);
    } catch (err) {
      this.deps.logger.warn({ err, kind, id, attempt: retry.attempt }, 'retrying machine effects failed');
    }
    if (!done) this.scheduleRetry(kind, id, { ...retry, attempt: retry.attempt + 1 });
  }

  /** Runs `run()` every `everyMs` (one at a time) until `stop()`. */
  startLoop(everyMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.run()
        .catch((err) => this.deps.logger.error({ err }, 'recoverPending failed'))
        .finally(() => {
          this.running = null;
        });
    }, everyMs);
    this.timer.unref();
  }

  /** Ends the periodic runs and the pending retries (what is left stays in the outbox for the periodic recovery). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const retry of this.retries.values()) clearTimeout(retry.timer);
    this.retries.clear();
    await Promise.all([this.running, ...this.retrying]);
  }
}
