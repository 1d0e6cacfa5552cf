import type { Db } from '../db/client.js';
import type { Currency } from '../db/schema/index.js';
import { balanceOf } from './ledger.js';

export { CURRENCIES, type Currency } from '../db/schema/index.js';

/** A user's balance in one currency as the ledger has it now, for the answers that show one. */
export function createBalances(db: Db) {
  return {
    of: (userId: number, currency: Currency): Promise<number> => balanceOf(db, userId, currency),
  };
}

export type Balances = ReturnType<typeof createBalances>;
