import type { CallContext } from '../../machines/call.js';
import type { CallRecord } from '../db/schema/index.js';
import type { CallRecordsRepository } from './call-records.repository.js';

/** `call_records.ban_stream_status`: the apps' `streamStatus` (0 account banned, 2 broadcasting banned). */
const STREAM_STATUS = { account: 0, stream: 2 } as const;

/** `call_records.ended_by` of a call ended by a ban: names the banned party (whose screens show the ban). */
export const bannedEndedBy = (userId: number) => `ban:${userId}`;

function endedByOf(context: CallContext): string | null {
  if (context.ban) return bannedEndedBy(context.ban.userId);
  return context.endedBy === undefined ? null : String(context.endedBy);
}

/**
 * Settles an ended call in one transaction: charges every minute the machine started whose charge
 * is missing (its `chargeMinute` effect died with a crashed process, or lost the race with the
 * hang-up), then writes the record once from the ledger. Re-running it changes nothing.
 */
export async function settleCall(
  deps: { records: CallRecordsRepository },
  context: CallContext,
): Promise<CallRecord> {
  const { callId } = context;
  // Every minute the machine started; the ones already charged are skipped by the ledger's keys.
  const charges = Array.from({ length: context.minutesStarted }, (_, index) => ({
    callId,
    minute: index + 1,
    guestId: context.guestId,
    anchorId: context.anchorId,
    diamonds: context.unitPriceDiamonds,
    points: context.unitPricePoints,
  }));
  return deps.records.settle(
    {
      id: Number(callId),
      guestId: context.guestId,
      anchorId: context.anchorId,
      initiator: context.initiator,
      unitPricePoints: context.unitPricePoints,
      unitPriceDiamonds: context.unitPriceDiamonds,
      endReason: context.endReason ?? 'hangup_server',
      endedBy: endedByOf(context),
      banTitle: context.ban?.title ?? null,
      banStreamStatus: context.ban ? STREAM_STATUS[context.ban.type] : null,
      createdAt: new Date(context.at),
      acceptedAt: context.acceptedAt ? new Date(context.acceptedAt) : null,
      startedAt: context.startedAt ? new Date(context.startedAt) : null,
      endedAt: new Date(context.endedAt ?? Date.now()),
    },
    charges,
  );
}
