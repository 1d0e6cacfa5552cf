import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.js';

export interface Income {
  /** Points earned from call minutes. */
  callPoints: number;
  /** Points earned from gifts. */
  giftPoints: number;
  /** Minutes of calls paid for (each charged minute once). */
  minutes: number;
}

/**
 * An anchor's earnings since she joined, from the ledger (so a call still live counts its charged
 * minutes already): the point credits of call minutes and gifts. Admin grants are not income.
 */
export async function incomeOf(db: Db, anchorId: number): Promise<Income> {
  const [row] = await queryRows<{ call_points: string | null; gift_points: string | null; minutes: number }>(
    db,
    sql`select sum(e.amount) filter (where t.kind = 'call_minute') as call_points,
               sum(e.amount) filter (where t.kind = 'gift') as gift_points,
               count(*) filter (where t.kind = 'call_minute')::int as minutes
          from accounts a
          join ledger_entries e on e.account_id = a.id
          join ledger_transactions t on t.id = e.transaction_id
         where a.user_id = ${anchorId} and a.currency = 'point' and e.amount > 0`,
  );
  return {
    callPoints: Number(row?.call_points ?? 0),
    giftPoints: Number(row?.gift_points ?? 0),
    minutes: row?.minutes ?? 0,
  };
}
