import { describe, expect, it } from 'vitest';
import { newOutTradeNo } from '../../../src/payments/out-trade-no.js';

describe('out_trade_no', () => {
  it('is a WeChat-valid order number that starts with the Beijing date and time', () => {
    const number = newOutTradeNo(new Date(Date.UTC(2024, 0, 31, 20, 5, 9)));
    expect(number).toMatch(/^[A-Za-z0-9_\-|*]{6,32}$/);
    expect(number).toMatch(/^R20240201040509[0-9a-f]{12}$/);
  });

  it('never repeats', () => {
    const at = new Date();
    const numbers = new Set(Array.from({ length: 1000 }, () => newOutTradeNo(at)));
    expect(numbers.size).toBe(1000);
  });
});
