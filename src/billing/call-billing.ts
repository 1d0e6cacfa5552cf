import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.js';

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
  /**
   * On the first minute: what only the machine knew of the call, kept in the minute's ledger
   * metadata so a call whose machine Redis lost can still be settled (src/calls/lost-calls.ts).
   */
  call?: CallStartFacts;
}

export interface CallStartFacts {
  initiator: 'guest' | 'anchor';
  /** Epoch ms. */
  createdAt: number;
  acceptedAt: number | null;
  startedAt: number | null;
  /**
   * The RoomService room the call's streams meet in (its IM group goes with the call); absent on
   * calls charged before it was recorded.
   */
  roomId?: string | null;
}

export type MinuteOutcome = 'charged' | 'already' | 'insufficient' | 'settled';

export interface MinuteResult {
  outcome: MinuteOutcome;
  guestDiamonds: number;
}

export const callReference = (callId: string) => `call:${callId}`;

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
