import { sql } from 'drizzle-orm';
import { callReference } from '../billing/call-billing.js';
import { type Db, queryRows } from '../db/client.js';

export interface LedgerLeg {
  /** `user:<id>` or `platform:<name>`. */
  account: string;
  currency: string;
  amount: number;
}

export interface LedgerMovement {
  transactionId: number;
  key: string;
  kind: string;
  at: number;
  metadata: unknown;
  legs: LedgerLeg[];
}

interface Row {
  transaction_id: string | number;
  idempotency_key: string;
  kind: string;
  metadata: unknown;
  created_at: Date | string;
  currency: string;
  amount: string | number;
  user_id: string | number | null;
  platform: string | null;
}

/** Every ledger movement that belongs to a call (reference `call:<id>`: its minutes, gifts, refunds), oldest first. */
export async function callLedger(db: Db, callId: string): Promise<LedgerMovement[]> {
  const rows = await queryRows<Row>(
    db,
    sql`select t.id as transaction_id, t.idempotency_key, t.kind, t.metadata, t.created_at,
               e.currency, e.amount, a.user_id, a.platform
          from ledger_transactions t
          join ledger_entries e on e.transaction_id = t.id
          join accounts a on a.id = e.account_id
         where t.reference = ${callReference(callId)}
         order by t.id, e.id`,
  );
  const movements = new Map<number, LedgerMovement>();
  for (const row of rows) {
    const id = Number(row.transaction_id);
    const movement = movements.get(id) ?? {
      transactionId: id,
      key: row.idempotency_key,
      kind: row.kind,
      at: new Date(row.created_at).getTime(),
      metadata: row.metadata,
      legs: [],
    };
    movement.legs.push({
      account: row.user_id === null ? `platform:${row.platform}` : `user:${row.user_id}`,
      currency: row.currency,
      amount: Number(row.amount),
    });
    movements.set(id, movement);
  }
  return [...movements.values()];
}
