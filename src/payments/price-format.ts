/** Fen as yuan with two decimals, the way a DRF DecimalField prints a price: 600 → "6.00". */
export function yuan(fen: number): string {
  return (fen / 100).toFixed(2);
}
