import { sql } from 'drizzle-orm';
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

/** The money a machine moved: per account and currency, the sum of its legs, and how many movements. */
export interface LedgerTotals {
  movements: number;
  byAccount: LedgerLeg[];
}

export interface LedgerPage {
  totals: LedgerTotals;
  /** Newest first. */
  movements: LedgerMovement[];
  /** Pass as `before` for the next (older) page; null on the last. */
  nextBefore: number | null;
}

interface MovementRow {
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

interface TotalRow {
  currency: string;
  amount: string | number;
  user_id: string | number | null;
  platform: string | null;
}

const accountName = (row: { user_id: string | number | null; platform: string | null }) =>
  row.user_id === null ? `platform:${row.platform}` : `user:${row.user_id}`;

/**
 * The ledger movements that belong to a machine (reference `<kind>:<id>`: a call's minutes, gifts,
 * refunds; a room's gifts): totals over all of them, and one page of them, newest first.
 */
export async function machineLedger(
  db: Db,
  reference: string,
  page: { before?: number | undefined; limit: number },
): Promise<LedgerPage> {
  const [totals, [count], ids] = await Promise.all([
    queryRows<TotalRow>(
      db,
      sql`select e.currency, sum(e.amount) as amount, a.user_id, a.platform
            from ledger_transactions t
            join ledger_entries e on e.transaction_id = t.id
            join accounts a on a.id = e.account_id
           where t.reference = ${reference}
           group by e.currency, a.user_id, a.platform
           order by a.platform nulls first, a.user_id, e.currency`,
    ),
    queryRows<{ movements: string | number }>(
      db,
      sql`select count(*) as movements from ledger_transactions where reference = ${reference}`,
    ),
    queryRows<{ id: string | number }>(
      db,
      sql`select t.id from ledger_transactions t
           where t.reference = ${reference}
             ${page.before === undefined ? sql`` : sql`and t.id < ${page.before}`}
           order by t.id desc
           limit ${page.limit + 1}`,
    ),
  ]);
  const pageIds = ids.slice(0, page.limit).map((row) => Number(row.id));
  const rows = pageIds.length
    ? await queryRows<MovementRow>(
        db,
        sql`select t.id as transaction_id, t.idempotency_key, t.kind, t.metadata, t.created_at,
                   e.currency, e.amount, a.user_id, a.platform
              from ledger_transactions t
              join ledger_entries e on e.transaction_id = t.id
              join accounts a on a.id = e.account_id
             where t.id in (${sql.join(
               pageIds.map((id) => sql`${id}`),
               sql`, `,
             )})
             order by t.id desc, e.id`,
      )
    : [];
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
    movement.legs.push({ account: accountName(row), currency: row.currency, amount: Number(row.amount) });
    movements.set(id, movement);
  }
  return {
    totals: {
      movements: Number(count?.movements ?? 0),
      byAccount: totals.map((row) => ({
        account: accountName(row),
        currency: row.currency,
        amount: Number(row.amount),
      })),
    },
    movements: [...movements.values()],
    nextBefore: ids.length > page.limit ? (pageIds[pageIds.length - 1] ?? null) : null,
  };
}
