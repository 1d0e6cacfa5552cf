import { randomBytes } from 'node:crypto';

/**
 * Our order number at WeChat Pay (`out_trade_no`, 6–32 of `[A-Za-z0-9_-|*]`, unique per merchant):
 * `R` + Beijing time yyyyMMddHHmmss + 12 random hex digits, so it sorts by time, reads as a date on
 * a bank statement, and cannot be guessed.
 */
export function newOutTradeNo(now: Date = new Date()): string {
  const beijing = new Date(now.getTime() + 8 * 3600_000).toISOString();
  const stamp = beijing.slice(0, 19).replace(/[-T:]/g, '');
  return `R${stamp}${randomBytes(6).toString('hex')}`;
}
