import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.js';
import { InsufficientFundsError, postMovement } from './ledger.js';

/** The guest's price per minute in diamonds for an anchor's price in points (DIAMONDS_PER_POINT). */
export function diamondPriceOf(unitPricePoints: number, diamondsPerPoint: number): number {
  return Math.ceil(unitPricePoints * diamondsPerPoint);
}

export interface MinuteCharge {
  callId: string;
  minute: number;
  guestId: number;
  anchorId: number;
  diamonds: number;
  points: number;
}

export const callReference = (callId: string) => `call:${callId}`;
export const minuteKey = (callId: string, minute: number) => `call:${callId}:minute:${minute}`;

/**
 * Charges one started minute: the guest's diamonds go to platform revenue, the anchor's points are
 * issued by the platform. Keyed `call:<id>:minute:<n>`, so a tick that runs twice charges once.
 */
export async function chargeCallMinute(
  db: Db,
  charge: MinuteCharge,
): Promise<'charged' | 'already' | 'insufficient'> {
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
    });
    return result.applied ? 'charged' : 'already';
  } catch (error) {
    if (error instanceof InsufficientFundsError) return 'insufficient';
    throw error;
  }
}

export interface CallCharges {
  minutes: number;
  diamonds: number;
  points: number;
}

/** What the ledger says a call cost: the settlement is computed from this, never from the machine's count. */
export async function chargesOfCall(db: Db, callId: string): Promise<CallCharges> {
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
