import {
  type CallContext,
  type CallEvent,
  type CallSnapshot,
  callMachine,
  callUpdates,
} from '../../machines/call.js';
import type { MinuteCharge, MinuteResult } from '../billing/call-billing.js';
import type { Db } from '../db/client.js';
import type { EventOf } from '../runtime/index.js';
import { defineMachine } from '../runtime/index.js';
import type { CallIndex } from './call-index.js';
import { CALL } from './call-kind.js';
import type { CallRecordsRepository } from './call-records.repository.js';
import { type PublicCallView, publicCallView } from './call-view.js';
import { settleCall } from './settlement.js';

export interface CallEffectsDeps {
  db: Db;
  callIndex: CallIndex;
  records: CallRecordsRepository;
  /** Charges one minute; the server batches the minutes that come due together (minute-charge-batcher.ts). */
  chargeMinute(charge: MinuteCharge): Promise<MinuteResult>;
  /** Bound after the runtime exists: effects feed their outcome back to the machine as events. */
  send(callId: string, event: EventOf<typeof callMachine>): Promise<unknown>;
  context(callId: string): Promise<CallContext | null>;
  /** The call is over: its RoomService room goes too (a no-op when it is gone already). */
  closeRoom(roomId: string): Promise<void>;
}

/**
 * The call machine with its effects: `chargeMinute` moves one minute's money through the ledger (a
 * failure becomes CHARGE_FAILED; the guest's balance after it is reported as MINUTE_CHARGED when the
 * machine takes that, i.e. when it warns him), `settleCall` writes the call record from the ledger,
 * frees both parties and answers SETTLED. Both are idempotent, so a re-run after a crash changes
 * nothing but, at most, a repeated warning. What the parties are told is the machine's `callUpdates`.
 */
export function callMachineDefinition(deps: CallEffectsDeps) {
  return defineMachine({
    kind: CALL,
    machine: callMachine,
    view: (snapshot: CallSnapshot) => publicCallView(snapshot),
    updates: ({ snapshot, ...transition }) =>
      callUpdates({
        ...transition,
        event: transition.event as CallEvent,
        context: snapshot.context,
        view: transition.view as PublicCallView,
      }),
    // Minute n is scheduled once per call: its job is `call-<id>-minute-<n>` whoever scheduled it.
    oneShotTimers: /^minute-\d+$/,
    effects: {
      chargeMinute: async ({ id, params, snapshot }) => {
        const context = snapshot?.context ?? (await deps.context(id));
        if (!context) return;
        const { outcome, guestDiamonds } = await deps.chargeMinute({
          callId: id,
          minute: params.minute,
          guestId: context.guestId,
          anchorId: context.anchorId,
          diamonds: context.unitPriceDiamonds,
          points: context.unitPricePoints,
          ...(params.minute === 1
            ? {
                call: {
                  initiator: context.initiator,
                  createdAt: context.at,
                  acceptedAt: context.acceptedAt ?? null,
                  startedAt: context.startedAt ?? null,
                  roomId: context.roomId ?? null,
                },
              }
            : {}),
        });
        if (outcome === 'insufficient') {
          await deps.send(id, { type: 'CHARGE_FAILED', minute: params.minute });
          return;
        }
        // Already settled: the settlement charged (or gave up on) this minute itself.
        if (outcome === 'settled') return;
        // Sent only when the machine takes it (the low-balance rule is its guard): one write per warning, not per minute.
        const charged: CallEvent = {
          type: 'MINUTE_CHARGED',
          minute: params.minute,
          diamond: guestDiamonds,
          at: Date.now(),
        };
        const current = snapshot;
        if (!current || current.can(charged)) await deps.send(id, charged);
      },

      closeRoom: async ({ params }) => {
        await deps.closeRoom(params.roomId);
      },

      settleCall: async ({ id, snapshot }) => {
        const context = snapshot?.context ?? (await deps.context(id));
        if (!context) return;
        await settleCall(deps, context);
        await deps.callIndex.release(id, context.guestId, context.anchorId);
        await deps.send(id, { type: 'SETTLED' });
      },
    },
  });
}
