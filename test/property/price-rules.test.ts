import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diamondPriceOf } from '../../src/billing/call-billing.js';
import { chinaDateTime } from '../../src/billing/display.js';
import { giftPointsOf } from '../../src/billing/gift-billing.js';

const rate = fc.constantFrom(0.5, 1, 1.1, 1.5, 2, 2.5, 3, 10);

describe('price rules', () => {
  it('prices a minute at the points times the rate, rounded up, with no float noise', () => {
    expect(diamondPriceOf(30, 2)).toBe(60);
    expect(diamondPriceOf(30, 1.1)).toBe(33);
    expect(diamondPriceOf(7, 1.5)).toBe(11);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), rate, (points, r) => {
        const diamonds = diamondPriceOf(points, r);
        expect(Number.isInteger(diamonds)).toBe(true);
        expect(diamonds).toBeGreaterThanOrEqual(Math.round(points * r * 1e6) / 1e6);
        expect(diamonds - points * r).toBeLessThan(1);
      }),
    );
  });

  it('never pays an anchor more points for a gift than its diamonds are worth', () => {
    expect(giftPointsOf(100, 2)).toBe(50);
    expect(giftPointsOf(33, 1.1)).toBe(30);
    expect(giftPointsOf(1, 2)).toBe(0);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), rate, (diamonds, r) => {
        const points = giftPointsOf(diamonds, r);
        expect(Number.isInteger(points)).toBe(true);
        expect(points * r).toBeLessThanOrEqual(diamonds + 1e-9);
        // ...and a gift worth a call minute earns at least that minute's points.
        expect(giftPointsOf(diamondPriceOf(points || 1, r), r)).toBeGreaterThanOrEqual(points || 1);
      }),
    );
  });

  it('writes dates in China time whatever the server zone', () => {
    expect(chinaDateTime(new Date('2024-01-31T16:30:59Z'))).toBe('2024-02-01 00:30');
    expect(chinaDateTime(new Date('2024-12-31T15:59:59Z'), true)).toBe('2024-12-31 23:59:59');
  });
});
