import { sql } from 'drizzle-orm';
import { type CallContext, callMachine } from '../../machines/call.js';
import type { CallStartFacts } from '../billing/call-billing.js';
import { type Db, queryRows } from '../db/client.js';
import type { CallRecord } from '../db/schema/index.js';
import type { CallIndex } from './call-index.js';
import type { CallRecordsRepository } from './call-records.repository.js';

/** `call_records.end_reason` (and the archive's final state) of a call whose machine Redis lost. */
export const STATE_LOST = 'state_lost';

/** How far back the ledger is searched for calls without a record. */
const LOOKBACK = '7 days';

export interface LostCallsDeps {
  db: Db;
  records: CallRecordsRepository;
  callIndex: CallIndex;
  /** True while Redis still holds the call's machine (null answers: it is gone). */
  machineExists(callId: string): Promise<boolean>;
  timings: Pick<CallContext, 'ringTimeoutMs' | 'billingIntervalMs' | 'disconnectGraceMs'>;
  /** The call's RoomService room went with Redis too: its IM group is destroyed (idempotent per call). */
  roomLost(roomId: string, callId: string): Promise<void>;
}

/**
 * The machine's final snapshot as it would have been, for the archive the admin panel reads (its
 * history is empty: Redis lost it).
 */
function settledSnapshot(record: CallRecord, timings: LostCallsDeps['timings']): unknown {
  const context: CallContext = {
    callId: String(record.id),
    guestId: record.guestId,
    anchorId: record.anchorId,
    initiator: record.initiator,
    unitPricePoints: record.unitPricePoints,
    unitPriceDiamonds: record.unitPriceDiamonds,
    ...timings,
    at: record.createdAt.getTime(),
    ...(record.acceptedAt ? { acceptedAt: record.acceptedAt.getTime() } : {}),
    ...(record.startedAt ? { startedAt: record.startedAt.getTime() } : {}),
    endedAt: record.endedAt.getTime(),
    endReason: STATE_LOST,
    endedBy: 'server',
    minutesStarted: record.minutes,
    disconnected: { guest: false, anchor: false },
  };
  return callMachine.getPersistedSnapshot(callMachine.resolveState({ value: 'settled', context }));
}

interface Candidate {
  call_id: string;
  guest_id: string;
  anchor_id: string;
  unit_diamonds: string;
  unit_points: string;
  first_charge_at: Date;
  last_charge_at: Date;
  start: CallStartFacts | null;
}

/**
 * Calls Postgres knows as open but Redis no longer holds: they have minute charges in the ledger,
 * no record, none charged for longer than a live call ever goes between two minutes, and no
 * machine. Each is settled by exactly what the ledger already charged (no minute is added: the
 * settlement gets no charges of its own), with end reason `state_lost`, archived for the admin
 * panel and its parties freed; the IM group of its RoomService room (named by its first minute) is
 * destroyed, as ending the call does. Safe to run in every process at once: `settle_call` writes a record
 * once, and a machine that turns up again finds its call settled and charges nothing more.
 */
export async function settleLostCalls(deps: LostCallsDeps, quietForMs: number): Promise<string[]> {
  const candidates = await queryRows<Candidate>(
    deps.db,
    sql`select substring(t.reference from 6) as call_id,
               min(t.metadata->>'guestId') as guest_id,
               min(t.metadata->>'anchorId') as anchor_id,
               max(e.amount) filter (where e.currency = 'diamond' and e.amount > 0) as unit_diamonds,
               max(e.amount) filter (where e.currency = 'point' and e.amount > 0) as unit_points,
               min(t.created_at) as first_charge_at,
               max(t.created_at) as last_charge_at,
               (array_agg(t.metadata->'call') filter (where t.metadata ? 'call'))[1] as start
          from ledger_transactions t
          join ledger_entries e on e.transaction_id = t.id
         where t.kind = 'call_minute'
           and t.created_at > now() - ${LOOKBACK}::interval
           and not exists (select 1 from call_records r where r.id = substring(t.reference from 6)::bigint)
         group by t.reference
        having max(t.created_at) < now() - make_interval(secs => ${quietForMs / 1000})`,
  );
  const settled: string[] = [];
  for (const candidate of candidates) {
    const callId = candidate.call_id;
    if (await deps.machineExists(callId)) continue;
    const guestId = Number(candidate.guest_id);
    const anchorId = Number(candidate.anchor_id);
    const start = candidate.start;
    const firstChargeAt = new Date(candidate.first_charge_at);
    // Before the record: once it is written this call is no candidate, so a run that dies in
    // between must have queued the group's end already (queuing it again is a no-op).
    if (start?.roomId) await deps.roomLost(start.roomId, callId);
    const record = await deps.records.settle(
      {
        id: Number(callId),
        guestId,
        anchorId,
        // Calls charged before the first minute carried its start (migrations/0008) count as the guest's.
        initiator: start?.initiator ?? 'guest',
        unitPricePoints: Number(candidate.unit_points ?? 0),
        unitPriceDiamonds: Number(candidate.unit_diamonds ?? 0),
        endReason: STATE_LOST,
        endedBy: 'server',
        banTitle: null,
        banStreamStatus: null,
        createdAt: start ? new Date(start.createdAt) : firstChargeAt,
        acceptedAt: start?.acceptedAt ? new Date(start.acceptedAt) : null,
        startedAt: start?.startedAt ? new Date(start.startedAt) : firstChargeAt,
        endedAt: new Date(),
      },
      [],
    );
    await deps.records.archive('call', callId, 'settled', settledSnapshot(record, deps.timings), []);
    await deps.callIndex.release(callId, guestId, anchorId);
    settled.push(callId);
  }
  return settled;
}
