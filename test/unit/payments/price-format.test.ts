import { describe, expect, it } from 'vitest';
import { yuan } from '../../../src/payments/price-format.js';

describe('prices', () => {
  it('prints fen as yuan with two decimals', () => {
    expect(yuan(600)).toBe('6.00');
    expect(yuan(64_800)).toBe('648.00');
    expect(yuan(1)).toBe('0.01');
  });
});
