import type { Db } from '../db/client.js';
import type { Currency } from '../db/schema/index.js';
import { conflict } from '../errors.js';
import { adminGrant, balanceOf, movementByKey, postMovement } from './ledger.js';

export interface GrantRequest {
  userId: number;
  currency: Currency;
  amount: number;
  /** The operator's idempotency key: a retry with it credits nothing more. */
  key: string;
  reason?: string | undefined;
}

export interface GrantResult {
  transactionId: number;
  /** False when this key was already granted (the answer describes that grant). */
  applied: boolean;
  balance: number;
}

export const grantKey = (key: string) => `grant:admin:${key}`;

/**
 * An operator credits a user from the `admin_grants` platform account, once per key. A key
 * already used for a different user, currency or amount is refused (409), never applied twice.
 */
export function createAdminGrants(deps: {
  db: Db;
  /** Tells the user's apps the new balance (`wallet:update`). */
  onGranted(userId: number, currency: Currency, balance: number): void;
}) {
  return {
    async grant(request: GrantRequest): Promise<GrantResult> {
      const result = await grantByAdmin(deps.db, request);
      if (result.applied) deps.onGranted(request.userId, request.currency, result.balance);
      return result;
    },
  };
}

export type AdminGrants = ReturnType<typeof createAdminGrants>;

async function grantByAdmin(db: Db, request: GrantRequest): Promise<GrantResult> {
  const key = grantKey(request.key);
  const movement = adminGrant(request.userId, request.currency, request.amount, key);
  const metadata = {
    userId: request.userId,
    currency: request.currency,
    amount: request.amount,
    ...(request.reason ? { reason: request.reason } : {}),
  };
  const result = await postMovement(db, { ...movement, metadata });
  if (!result.applied) {
    const stored = (await movementByKey(db, key))?.metadata ?? {};
    if (
      stored.userId !== request.userId ||
      stored.currency !== request.currency ||
      stored.amount !== request.amount
    ) {
      throw conflict('this Idempotency-Key was already used for a different grant');
    }
  }
  return {
    transactionId: result.transactionId,
    applied: result.applied,
    balance: await balanceOf(db, request.userId, request.currency),
  };
}
