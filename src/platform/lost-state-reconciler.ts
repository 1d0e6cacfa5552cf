import type { RuntimeLogger } from '../runtime/index.js';

export interface LostStateReconcilerOptions {
  /**
   * Settles calls and closes QLive rooms (`rooms`) and RoomService rooms (`roomServiceRooms`) Postgres knows
   * as open whose machines Redis lost; answers their ids.
   */
  reconcile(): Promise<{ calls: string[]; rooms: string[]; roomServiceRooms: string[] }>;
  everyMs: number;
  logger: RuntimeLogger;
}

/**
 * Runs the lost-state reconciliation once at start and then every `everyMs`, one run at a time, so
 * a Redis that lost its data (flushed, replaced, restarted without persistence) leaves no call
 * billing nobody and no user busy for ever. Each ended call or room is logged as a warning: it is
 * what the operator must hear about.
 */
export function createLostStateReconciler(options: LostStateReconcilerOptions) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;

  const runOnce = (): Promise<void> => {
    running ??= options
      .reconcile()
      .then(({ calls, rooms, roomServiceRooms }) => {
        if (calls.length > 0 || rooms.length > 0 || roomServiceRooms.length > 0)
          options.logger.warn(
            { calls, rooms, roomServiceRooms },
            'ended calls and rooms whose state Redis lost (state_lost): calls settled by what the ledger charged',
          );
      })
      .catch((err: unknown) => options.logger.error({ err }, 'lost-state reconciliation failed'))
      .finally(() => {
        running = null;
      });
    return running;
  };

  return {
    start(): void {
      void runOnce();
      timer = setInterval(() => void runOnce(), options.everyMs);
      timer.unref();
    },
    runOnce,
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
