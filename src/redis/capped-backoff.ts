/**
 * BullMQ retry delays that double from `firstMs` up to `maxMs` and stay there, for queues whose work
 * must eventually get through (a vendor or the database back after an outage). A job opts in with
 * `backoff: CAPPED_BACKOFF`; its worker gets `settings: cappedBackoffSettings(firstMs, maxMs)`.
 */
export const CAPPED_BACKOFF = { type: 'capped-exponential' } as const;

export function cappedBackoffSettings(firstMs: number, maxMs: number) {
  return {
    backoffStrategy: (attemptsMade: number) => Math.min(maxMs, firstMs * 2 ** Math.min(attemptsMade - 1, 20)),
  };
}
