import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.js';
import type { Tx } from './ledger.js';

/**
 * The call billing rule. An anchor prices a minute in points (`unitPrice`); the guest pays
 * `ceil(points × DIAMONDS_PER_POINT)` diamonds for it (`unitPriceDiamond`). Each started minute
 * is one ledger movement: the guest's diamonds go to platform revenue and the anchor's points are
 * issued by the platform, so the platform keeps the whole diamond side and mints the point side.
 */
export function diamondPriceOf(unitPricePoints: number, diamondsPerPoint: number): number {
  return Math.ceil(roundedProduct(unitPricePoints, diamondsPerPoint));
}

/** A product without binary noise: 30 × 1.1 is 33.000000000000004 in floats, and must price 33, not 34. */
export function roundedProduct(a: number, b: number): number {
  return Number((a * b).toFixed(9));
}

export interface MinuteCharge {
  callId: string;
  minute: number;
  guestId: number;
  anchorId: number;
  diamonds: number;
  points: number;
}

export type MinuteOutcome = 'charged' | 'already' | 'insufficient' | 'settled';

export interface MinuteResult {
  outcome: MinuteOutcome;
  guestDiamonds: number;
}

export const callReference = (callId: string) => `call:${callId}`;

/**
 * Serialises the money writes of one call inside the caller's transaction: each minute charge and
 * the settlement take this lock, so the settlement sums a final set of charges and no minute is
 * charged after the record was written (charges == record, always).
 */
export async function lockCallMoney(tx: Tx, callId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${callReference(callId)}, 0))`);
}

/**
 * Charges started minutes, each keyed `call:<id>:minute:<n>`, so a tick that runs twice charges
 * once. `settled`: the call's record is already written, nothing more is charged for it. One round
 * trip for the whole batch: the rules live in the SQL function `charge_call_minutes`
 * (migrations/0004), which takes the same per-call lock as the settlement. Answers, per charge in
 * the order given, the outcome and the guest's diamonds after it (for the low-balance warning).
 */
export async function chargeCallMinutes(db: Db, charges: readonly MinuteCharge[]): Promise<MinuteResult[]> {
  if (charges.length === 0) return [];
  const rows = await queryRows<{
    call_id: string;
    minute: number;
    outcome: MinuteOutcome;
    guest_diamonds: string | null;
  }>(
    db,
    sql`select call_id, minute, outcome, guest_diamonds from charge_call_minutes(${JSON.stringify(
      charges.map((charge) => ({ ...charge, callId: Number(charge.callId) })),
    )}::jsonb)`,
  );
  // A minute listed twice comes back twice, charged then `already`: answered in the order listed.
  const byMinute = new Map<string, typeof rows>();
  for (const row of rows) {
    const key = `${row.call_id}:${row.minute}`;
    byMinute.set(key, [...(byMinute.get(key) ?? []), row]);
  }
  return charges.map((charge) => {
    const row = byMinute.get(`${charge.callId}:${charge.minute}`)?.shift();
    if (!row)
      throw new Error(
        `charge_call_minutes returned nothing for call ${charge.callId} minute ${charge.minute}`,
      );
    return { outcome: row.outcome, guestDiamonds: Number(row.guest_diamonds ?? 0) };
  });
}

export async function chargeCallMinute(db: Db, charge: MinuteCharge): Promise<MinuteResult> {
  const [result] = await chargeCallMinutes(db, [charge]);
  return result!;
}

export interface CallCharges {
  minutes: number;
  diamonds: number;
  points: number;
}

/** What the ledger says a call cost: the settlement is computed from this, never from the machine's count. */
export async function chargesOfCall(db: Db | Tx, callId: string): Promise<CallCharges> {
  const [row] = await queryRows<{ minutes: number; diamonds: string | null; points: string | null }>(
    db,
    sql`select count(distinct t.id)::int as minutes,
               sum(e.amount) filter (where e.currency = 'diamond' and e.amount > 0) as diamonds,
               sum(e.amount) filter (where e.currency = 'point' and e.amount > 0) as points
          from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
         where t.reference = ${callReference(callId)} and t.kind = 'call_minute'`,
  );
  return {
    minutes: row?.minutes ?? 0,
    diamonds: Number(row?.diamonds ?? 0),
    points: Number(row?.points ?? 0),
  };
}

/** The minute numbers of a call that the ledger holds a charge for. */
export async function chargedMinutesOf(db: Db, callId: string): Promise<number[]> {
  const rows = await queryRows<{ minute: number }>(
    db,
    sql`select (metadata->>'minute')::int as minute from ledger_transactions
         where reference = ${callReference(callId)} and kind = 'call_minute' order by 1`,
  );
  return rows.map((row) => row.minute);
}
