import { and, eq, gte, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import {
  accounts,
  type Currency,
  type LedgerKind,
  ledgerEntries,
  ledgerTransactions,
  type PlatformAccount,
} from '../db/schema/index.js';
import { AppError } from '../errors.js';

export type AccountRef = { userId: number } | { platform: PlatformAccount };

/** One side of a movement: a negative amount debits the account, a positive one credits it. */
export interface Leg {
  account: AccountRef;
  currency: Currency;
  amount: number;
}

export interface Movement {
  /** Unique per movement, derived from what caused it (`call:42:minute:3`, `gift:<requestId>`, `pay:<out_trade_no>`). */
  key: string;
  kind: LedgerKind;
  reference?: string;
  metadata?: Record<string, unknown>;
  legs: Leg[];
  /**
   * Runs first inside the movement's database transaction; throwing aborts the movement. Used to
   * serialise a movement against another write (e.g. a call minute against the call's settlement).
   */
  precondition?: (tx: Tx) => Promise<void>;
}

export interface MovementResult {
  /** False when a movement with this key already exists: nothing was moved again. */
  applied: boolean;
  transactionId: number;
}

export class InsufficientFundsError extends AppError {
  constructor(
    readonly userId: number,
    readonly currency: Currency,
  ) {
    super('payment_required', `not enough ${currency}`);
    this.name = 'InsufficientFundsError';
  }
}

/** A drizzle transaction handle, as `db.transaction` passes it. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

function assertBalanced(legs: Leg[]): void {
  const totals = new Map<Currency, number>();
  for (const leg of legs) {
    if (!Number.isSafeInteger(leg.amount) || leg.amount === 0) {
      throw new Error(`ledger leg amounts must be non-zero safe integers, got ${leg.amount}`);
    }
    totals.set(leg.currency, (totals.get(leg.currency) ?? 0) + leg.amount);
  }
  for (const [currency, total] of totals) {
    if (total !== 0) throw new Error(`ledger legs in ${currency} sum to ${total}, not 0`);
  }
}

/** The account row for (owner, currency), created on first use. */
export async function accountId(tx: Tx | Db, ref: AccountRef, currency: Currency): Promise<number> {
  const owner =
    'userId' in ref
      ? and(eq(accounts.userId, ref.userId), eq(accounts.currency, currency))
      : and(eq(accounts.platform, ref.platform), eq(accounts.currency, currency), isNull(accounts.userId));
  const existing = await tx.select({ id: accounts.id }).from(accounts).where(owner);
  if (existing[0]) return existing[0].id;
  await tx
    .insert(accounts)
    .values('userId' in ref ? { userId: ref.userId, currency } : { platform: ref.platform, currency })
    .onConflictDoNothing();
  const created = await tx.select({ id: accounts.id }).from(accounts).where(owner);
  if (!created[0]) throw new Error(`could not create account ${JSON.stringify(ref)} ${currency}`);
  return created[0].id;
}

/**
 * Moves money in one Postgres transaction: the transaction row (unique key: a replay is a no-op),
 * conditional balance updates (`balance >= amount` for users, so a balance never goes negative),
 * and entries that sum to zero per currency.
 */
export async function postMovement(db: Db, movement: Movement): Promise<MovementResult> {
  assertBalanced(movement.legs);
  return db.transaction(async (tx) => {
    await movement.precondition?.(tx);
    const inserted = await tx
      .insert(ledgerTransactions)
      .values({
        idempotencyKey: movement.key,
        kind: movement.kind,
        reference: movement.reference ?? null,
        metadata: movement.metadata ?? {},
      })
      .onConflictDoNothing()
      .returning({ id: ledgerTransactions.id });
    if (!inserted[0]) {
      const [existing] = await tx
        .select({ id: ledgerTransactions.id })
        .from(ledgerTransactions)
        .where(eq(ledgerTransactions.idempotencyKey, movement.key));
      return { applied: false, transactionId: existing!.id };
    }
    const transactionId = inserted[0].id;
    // One after the other: a transaction is one connection, and pg refuses overlapping queries on it.
    const resolved: (Leg & { accountId: number })[] = [];
    for (const leg of movement.legs) {
      resolved.push({ ...leg, accountId: await accountId(tx, leg.account, leg.currency) });
    }
    // A fixed lock order keeps two movements touching the same accounts from deadlocking.
    for (const leg of [...resolved].sort((a, b) => a.accountId - b.accountId)) {
      const isUserDebit = 'userId' in leg.account && leg.amount < 0;
      const updated = await tx
        .update(accounts)
        .set({ balance: sql`${accounts.balance} + ${leg.amount}` })
        .where(
          isUserDebit
            ? and(eq(accounts.id, leg.accountId), gte(accounts.balance, -leg.amount))
            : eq(accounts.id, leg.accountId),
        )
        .returning({ id: accounts.id });
      if (!updated[0]) {
        throw new InsufficientFundsError((leg.account as { userId: number }).userId, leg.currency);
      }
    }
    await tx.insert(ledgerEntries).values(
      resolved.map((leg) => ({
        transactionId,
        accountId: leg.accountId,
        currency: leg.currency,
        amount: leg.amount,
      })),
    );
    return { applied: true, transactionId };
  });
}

/** The stored movement with this idempotency key, or null (a replay compares its metadata). */
export async function movementByKey(
  db: Db,
  key: string,
): Promise<{ id: number; kind: LedgerKind; metadata: Record<string, unknown> } | null> {
  const [row] = await db
    .select({
      id: ledgerTransactions.id,
      kind: ledgerTransactions.kind,
      metadata: ledgerTransactions.metadata,
    })
    .from(ledgerTransactions)
    .where(eq(ledgerTransactions.idempotencyKey, key));
  return row ?? null;
}

export async function balanceOf(db: Db | Tx, userId: number, currency: Currency): Promise<number> {
  const [row] = await db
    .select({ balance: accounts.balance })
    .from(accounts)
    .where(and(eq(accounts.userId, userId), eq(accounts.currency, currency)));
  return row?.balance ?? 0;
}

/** An operator's grant: money enters from the admin_grants platform account. */
export function adminGrant(userId: number, currency: Currency, amount: number, key: string): Movement {
  return {
    key,
    kind: 'admin_grant',
    reference: `user:${userId}`,
    legs: [
      { account: { platform: 'admin_grants' }, currency, amount: -amount },
      { account: { userId }, currency, amount },
    ],
  };
}
