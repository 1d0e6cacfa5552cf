import type { Db } from '../db/client.js';
import { chargeCallMinutes, type MinuteCharge, type MinuteResult } from './call-billing.js';

export interface MinuteChargeBatcherOptions {
  /** Most minutes charged by one statement (default 500). */
  maxBatch?: number;
  /** Batches running at once; each holds one pool connection (default 2). */
  maxInFlight?: number;
}

interface Waiting {
  charge: MinuteCharge;
  resolve(result: MinuteResult): void;
  reject(error: unknown): void;
}

/**
 * Gathers the billing ticks that come due together into one `charge_call_minutes` call, the way a
 * database groups commits: a charge arriving while the batches in flight are busy waits for the
 * next one, so at low load a tick is charged at once and at high load many ticks share one
 * transaction (one commit, one update of each platform account). Every minute keeps its own
 * idempotency key, so batching changes nothing about what a re-run does.
 *
 * A batch that fails is retried minute by minute, so one bad charge (or a deadlock victim) fails
 * alone and the others still land.
 */
export class MinuteChargeBatcher {
  private waiting: Waiting[] = [];
  private inFlight = 0;
  private pumpQueued = false;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly db: Db,
    options: MinuteChargeBatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.maxInFlight = options.maxInFlight ?? 2;
  }

  charge(charge: MinuteCharge): Promise<MinuteResult> {
    return new Promise<MinuteResult>((resolve, reject) => {
      this.waiting.push({ charge, resolve, reject });
      // Charges sent in the same turn of the event loop go out together.
      if (!this.pumpQueued) {
        this.pumpQueued = true;
        setImmediate(() => {
          this.pumpQueued = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async run(batch: Waiting[]): Promise<void> {
    try {
      const results = await chargeCallMinutes(
        this.db,
        batch.map((waiting) => waiting.charge),
      );
      for (const [index, waiting] of batch.entries()) waiting.resolve(results[index]!);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      await Promise.all(
        batch.map((waiting) =>
          chargeCallMinutes(this.db, [waiting.charge]).then(
            ([result]) => waiting.resolve(result!),
            (single) => waiting.reject(single),
          ),
        ),
      );
    }
  }
}
