import type { Movement } from './ledger.js';

/**
 * The gift rule, the call rule read backwards: a gift costs the guest its price in diamonds, and
 * the anchor earns `floor(diamonds ÷ DIAMONDS_PER_POINT)` points for it (at the default rate 2, a
 * 100-diamond gift earns 50 points), so a gift never pays an anchor more than a call minute of the
 * same diamonds would. The diamonds go to platform revenue, the points are issued by the platform.
 */
export function giftPointsOf(diamonds: number, diamondsPerPoint: number): number {
  // Rounded first, for the same reason as diamondPriceOf: 33 ÷ 1.1 must be 30, not 29.
  return Math.floor(Number((diamonds / diamondsPerPoint).toFixed(9)));
}

export interface GiftCharge {
  /** Ledger idempotency key, `gift:<guestId>:<requestId>`. */
  key: string;
  guestId: number;
  anchorId: number;
  giftId: number;
  amount: number;
  diamonds: number;
  points: number;
  /** The call the gift was sent in, if any. */
  roomInstanceId: number | null;
}

export const giftKey = (guestId: number, requestId: string) => `gift:${guestId}:${requestId}`;

/** The charge a stored gift movement made (a replayed request answers it). */
export function giftChargeOf(key: string, metadata: Record<string, unknown>): GiftCharge {
  return {
    key,
    guestId: Number(metadata.guestId),
    anchorId: Number(metadata.anchorId),
    giftId: Number(metadata.giftId),
    amount: Number(metadata.amount),
    diamonds: Number(metadata.diamonds),
    points: Number(metadata.points),
    roomInstanceId: typeof metadata.roomInstanceId === 'number' ? metadata.roomInstanceId : null,
  };
}

/** One movement: the guest's diamonds to revenue and, when the gift is worth a point, points to the anchor. */
export function giftMovement(charge: GiftCharge): Movement {
  return {
    key: charge.key,
    kind: 'gift',
    reference: charge.roomInstanceId ? `call:${charge.roomInstanceId}` : `user:${charge.anchorId}`,
    metadata: {
      giftId: charge.giftId,
      amount: charge.amount,
      diamonds: charge.diamonds,
      points: charge.points,
      guestId: charge.guestId,
      anchorId: charge.anchorId,
      roomInstanceId: charge.roomInstanceId,
    },
    legs: [
      { account: { userId: charge.guestId }, currency: 'diamond', amount: -charge.diamonds },
      { account: { platform: 'revenue' }, currency: 'diamond', amount: charge.diamonds },
      ...(charge.points > 0
        ? [
            {
              account: { platform: 'issuance' as const },
              currency: 'point' as const,
              amount: -charge.points,
            },
            { account: { userId: charge.anchorId }, currency: 'point' as const, amount: charge.points },
          ]
        : []),
    ],
  };
}
