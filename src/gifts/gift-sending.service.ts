import { randomUUID } from 'node:crypto';
import {
  type GiftCharge,
  giftChargeOf,
  giftKey,
  giftMovement,
  giftPointsOf,
} from '../billing/gift-billing.js';
import { balanceOf, InsufficientFundsError, movementByKey, postMovement } from '../billing/ledger.js';
import type { CallsService } from '../calls/calls.service.js';
import type { Db } from '../db/client.js';
import type { Gift, User } from '../db/schema/index.js';
import { badRequest, conflict, notFound, paymentRequired } from '../errors.js';
import { requireAllowed } from '../moderation/ban-policy.js';
import type { UsersService } from '../users/users.service.js';
import type { GiftsService } from './gifts.service.js';

export interface SendGiftInput {
  giftId: number;
  amount: number;
  /** An anchor to send to; without it, the other party of the guest's current call. */
  targetUserId?: number | undefined;
  /** The client's idempotency key (`Idempotency-Key` header or `requestId`); a retry with it is a no-op. */
  requestId?: string | undefined;
}

export interface SentGift {
  gift: Gift;
  charge: GiftCharge;
  requestId: string;
  /** False when this request id was already sent: nothing moved again, nothing pushed again. */
  applied: boolean;
  guestDiamonds: number;
  anchorPoints: number;
}

export interface GiftSendingDeps {
  db: Db;
  gifts: GiftsService;
  users: UsersService;
  calls: Pick<CallsService, 'activeCallView'>;
  diamondsPerPoint: number;
  /** Pushes a newly sent gift to both parties. */
  push(sent: SentGift): void;
}

/**
 * sendGift: a guest gives `amount` of a gift to an anchor, in one idempotent ledger movement. The
 * anchor is the one named, or else the other party of the guest's current (not yet ended) call.
 */
export function createGiftSendingService(deps: GiftSendingDeps) {
  async function recipientOf(
    guest: User,
    targetUserId: number | undefined,
  ): Promise<{ anchorId: number; roomInstanceId: number | null }> {
    const call = await deps.calls.activeCallView(guest.id);
    const inCall = call && call.state !== 'ended' && call.state !== 'settled' ? call : null;
    if (targetUserId === undefined) {
      if (!inCall) throw conflict('you are not in a call: name the anchor with targetUserId');
      const anchor = await deps.users.find(inCall.anchorId);
      if (anchor) requireAllowed('mayReceiveGift', anchor, 'the anchor is banned and cannot receive gifts');
      return { anchorId: inCall.anchorId, roomInstanceId: inCall.roomInstanceId };
    }
    const anchor = await deps.users.find(targetUserId);
    if (anchor?.role !== 'anchor') throw notFound(`no anchor ${targetUserId}`, 'targetUserId');
    requireAllowed('mayReceiveGift', anchor, 'the anchor is banned and cannot receive gifts');
    return {
      anchorId: anchor.id,
      roomInstanceId: inCall?.anchorId === anchor.id ? inCall.roomInstanceId : null,
    };
  }

  /**
   * The charge an earlier request with this key made, or null. Checked before the recipient is
   * resolved, so a retry after the call ended still answers the gift it sent. A key reused for
   * another gift is a client bug: 409.
   */
  async function earlierCharge(key: string, gift: Gift, input: SendGiftInput): Promise<GiftCharge | null> {
    const stored = await movementByKey(deps.db, key);
    if (!stored) return null;
    const charge = giftChargeOf(key, stored.metadata);
    const same =
      stored.kind === 'gift' &&
      charge.giftId === gift.id &&
      charge.amount === input.amount &&
      (input.targetUserId === undefined || input.targetUserId === charge.anchorId);
    if (!same) throw conflict('this request id was already used for a different gift');
    return charge;
  }

  async function answer(gift: Gift, charge: GiftCharge, requestId: string, applied: boolean) {
    const sent: SentGift = {
      gift,
      charge,
      requestId,
      applied,
      guestDiamonds: await balanceOf(deps.db, charge.guestId, 'diamond'),
      anchorPoints: await balanceOf(deps.db, charge.anchorId, 'point'),
    };
    if (applied) deps.push(sent);
    return sent;
  }

  return {
    async send(guest: User, input: SendGiftInput): Promise<SentGift> {
      requireAllowed('mayGift', guest, 'you are banned');
      const gift = await deps.gifts.get(input.giftId);
      const diamonds = gift.cost * input.amount;
      if (!Number.isSafeInteger(diamonds)) throw badRequest('amount is too large', 'amount');
      const requestId = input.requestId ?? randomUUID();
      const key = giftKey(guest.id, requestId);
      const earlier = input.requestId === undefined ? null : await earlierCharge(key, gift, input);
      if (earlier) return answer(gift, earlier, requestId, false);

      const { anchorId, roomInstanceId } = await recipientOf(guest, input.targetUserId);
      const charge: GiftCharge = {
        key,
        guestId: guest.id,
        anchorId,
        giftId: gift.id,
        amount: input.amount,
        diamonds,
        points: giftPointsOf(diamonds, deps.diamondsPerPoint),
        roomInstanceId,
      };
      try {
        const { applied } = await postMovement(deps.db, giftMovement(charge));
        // Not applied: a concurrent retry with the same key won the race; answer what it stored.
        if (!applied)
          return answer(gift, (await earlierCharge(key, gift, input)) ?? charge, requestId, false);
        return answer(gift, charge, requestId, true);
      } catch (error) {
        if (error instanceof InsufficientFundsError) {
          throw paymentRequired(`not enough diamonds: ${input.amount} × ${gift.name} costs ${diamonds}`);
        }
        throw error;
      }
    },
  };
}

export type GiftSendingService = ReturnType<typeof createGiftSendingService>;
