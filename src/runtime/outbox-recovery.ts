/**
 * `recoverPending`: finds instances whose outbox batches are older than a threshold (a process
 * died between the save and the end of the effects, or an effect / `onFinal` threw) and runs those
 * batches again, oldest first, through the same BatchRunner as the live path. Safe because every
 * effect is idempotent (see batch-runner.ts). Claiming an instance moves its outbox score to now,
 * so concurrent recoveries in other processes leave it alone for another threshold.
 */
import type { BatchRunner } from './batch-runner.js';
import type { MachineStore } from './machine-store.js';
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
  logger: RuntimeLogger;
}

export class OutboxRecovery<K extends string> {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

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
        await this.recoverInstance(kind as K, id, now - olderThanMs, report);
      } catch (err) {
        report.failed++;
        logger.error({ err, kind, id }, 'recovering machine effects failed');
      }
    }
    return report;
  }

  private async recoverInstance(kind: K, id: string, savedBefore: number, report: RecoveryReport) {
    const { store, runner, logger } = this.deps;
    const { exists, batches } = await store.pendingBatches(kind, id);
    if (!exists) {
      await store.dropFromOutbox(kind, id);
      return;
    }
    const current = await this.deps.get(kind, id);
    for (const batch of batches) {
      if (batch.savedAt > savedBefore) continue;
      report.batches++;
      logger.info({ kind, id, version: batch.version }, 'recovering machine effects');
      if (!(await runner.complete(kind, id, batch, current, true))) {
        report.failed++;
        return; // keep the order: later batches wait for this one
      }
    }
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

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
