import type { CallContext } from '../../machines/call.js';
import { userRoom } from '../realtime/events.js';
import type { AppSocketServer } from '../realtime/socket-server.js';
import type { TransitionNotice } from '../runtime/index.js';

interface Warning {
  guestId: number;
  diamond: number;
  unitPriceDiamond: number;
  /** Epoch ms when the paid minutes run out: the call ends then unless he recharges. */
  paidUntil: number;
}

/**
 * Low-balance warnings for the guest of a live call: after a minute is charged and what is left
 * will not pay the next one, he is pushed `wallet:update` and a `call:update` that carries
 * `lowBalance: true`, `diamond` and `paidUntil`.
 *
 * The `chargeMinute` effect only records the warning; it is pushed right after that transition's
 * own `call:update` (notices follow effects, in the same process), so the flagged view is the last
 * one the guest holds for that minute instead of being replaced by an unflagged copy. A process
 * that dies in between loses nothing: the effect re-runs on recovery and warns again.
 */
export function createLowBalanceNotices() {
  const pending = new Map<string, Warning>();

  return {
    warn(context: CallContext, diamondsLeft: number): void {
      pending.set(context.callId, {
        guestId: context.guestId,
        diamond: diamondsLeft,
        unitPriceDiamond: context.unitPriceDiamonds,
        paidUntil: (context.startedAt ?? context.at) + context.minutesStarted * context.billingIntervalMs,
      });
    },

    /** Called after every transition notice was pushed. */
    flush(io: AppSocketServer, notice: TransitionNotice<string>): void {
      if (notice.kind !== 'call') return;
      const warning = pending.get(notice.id);
      if (!warning) return;
      pending.delete(notice.id);
      const roomInstanceId = Number(notice.id);
      const guest = io.to(userRoom(warning.guestId));
      guest.emit('wallet:update', {
        diamond: warning.diamond,
        lowBalance: true,
        roomInstanceId,
        unitPriceDiamond: warning.unitPriceDiamond,
        paidUntil: warning.paidUntil,
      });
      // A superseded view (the call moved on already) would take the guest's app backwards.
      if (notice.superseded) return;
      guest.emit('call:update', {
        ...(notice.view as Record<string, unknown>),
        lowBalance: true,
        diamond: warning.diamond,
        paidUntil: warning.paidUntil,
      });
    },
  };
}

export type LowBalanceNotices = ReturnType<typeof createLowBalanceNotices>;
