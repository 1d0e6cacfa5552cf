import { eq, sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.js';
import { callRecords } from '../db/schema/index.js';
import { InsufficientFundsError, postMovement, type Tx } from './ledger.js';

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

export const callReference = (callId: string) => `call:${callId}`;
export const minuteKey = (callId: string, minute: number) => `call:${callId}:minute:${minute}`;

class CallSettledError extends Error {}

/**
 * Serialises the money writes of one call inside the caller's transaction: each minute charge and
 * the settlement take this lock, so the settlement sums a final set of charges and no minute is
 * charged after the record was written (charges == record, always).
 */
export async function lockCallMoney(tx: Tx, callId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${callReference(callId)}, 0))`);
}

/**
 * Charges one started minute, keyed `call:<id>:minute:<n>`, so a tick that runs twice charges
 * once. `settled`: the call's record is already written, nothing more is charged for it.
 */
export async function chargeCallMinute(db: Db, charge: MinuteCharge): Promise<MinuteOutcome> {
  try {
    const result = await postMovement(db, {
      key: minuteKey(charge.callId, charge.minute),
      kind: 'call_minute',
      reference: callReference(charge.callId),
      metadata: { minute: charge.minute, guestId: charge.guestId, anchorId: charge.anchorId },
      legs: [
        { account: { userId: charge.guestId }, currency: 'diamond', amount: -charge.diamonds },
        { account: { platform: 'revenue' }, currency: 'diamond', amount: charge.diamonds },
        { account: { platform: 'issuance' }, currency: 'point', amount: -charge.points },
        { account: { userId: charge.anchorId }, currency: 'point', amount: charge.points },
      ],
      precondition: async (tx) => {
        await lockCallMoney(tx, charge.callId);
        const [record] = await tx
          .select({ id: callRecords.id })
          .from(callRecords)
          .where(eq(callRecords.id, Number(charge.callId)));
        if (record) throw new CallSettledError();
      },
    });
    return result.applied ? 'charged' : 'already';
  } catch (error) {
    if (error instanceof InsufficientFundsError) return 'insufficient';
    if (error instanceof CallSettledError) return 'settled';
    throw error;
  }
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
