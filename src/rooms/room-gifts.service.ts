import { eq } from 'drizzle-orm';
import { balanceOf, postMovement } from '../billing/ledger.js';
import type { Db } from '../db/client.js';
import { ledgerTransactions, type User } from '../db/schema/index.js';
import { AppError, badRequest, conflict, notFound } from '../errors.js';
import type { GiftsService } from '../gifts/gifts.service.js';
import { requireAllowed } from '../moderation/ban-policy.js';
import type { QliveProfiles } from './qlive-profiles.js';
import type { RoomsService } from './rooms.service.js';

export interface RoomGiftPush {
  liveId: number | null;
  fromUserId: number;
  toUserId: number;
  giftId: number;
  name: string;
  image: string;
  effect: string;
  num: number;
  /** Gold paid for all `num` gifts (= the receiver's income from them). */
  gold: number;
}

export interface RoomGiftsDeps {
  db: Db;
  gifts: GiftsService;
  profiles: QliveProfiles;
  rooms: RoomsService;
  /** Tells everyone in the room (room:gift) and both wallets (wallet:update). */
  pushGift(liveId: number, gift: RoomGiftPush): void;
  pushWallet(userId: number, wallet: Record<string, number>): void;
}

export interface SendGiftInput {
  toUserId: number;
  giftId: number;
  num: number;
  /** The client's Idempotency-Key, or a fresh request id: a retry with the same key moves nothing again. */
  idempotencyKey: string;
}

/**
 * QLive push_gift: the sender's gold pays for `num` gifts and the receiver earns the same amount as
 * income, in one ledger movement (gold: sender → revenue; income: issuance → receiver), so a gift
 * is either wholly paid and earned or not at all. 402 when the sender's gold does not cover it.
 */
export function createRoomGiftsService(deps: RoomGiftsDeps) {
  async function giftOf(giftId: number) {
    try {
      return await deps.gifts.get(giftId);
    } catch (error) {
      if (error instanceof AppError && error.kind === 'not_found')
        throw notFound(`no gift ${giftId}`, 'gift_id');
      throw error;
    }
  }

  return {
    async send(sender: User, input: SendGiftInput): Promise<{ gold: number; income: number }> {
      const { toUserId, giftId, num } = input;
      if (toUserId === sender.id) throw badRequest('you cannot send a gift to yourself', 'user_id');
      requireAllowed('mayGift', sender, 'you are banned from sending gifts');
      const receiver = await deps.profiles.get(toUserId);
      requireAllowed('mayReceiveGift', receiver, 'this user is banned and cannot receive gifts');
      const gift = await giftOf(giftId);
      const total = gift.cost * num;
      if (!Number.isSafeInteger(total)) throw badRequest('num is too large', 'num');
      const room = (await deps.rooms.stateOf(toUserId)) ?? (await deps.rooms.stateOf(sender.id));
      const liveId = room?.liveId ?? null;
      const metadata = { from: sender.id, to: toUserId, giftId, num, liveId };

      const moved = await postMovement(deps.db, {
        key: `qlive-gift:${sender.id}:${input.idempotencyKey}`,
        kind: 'gift',
        reference: liveId === null ? `user:${toUserId}` : `room:${liveId}`,
        metadata,
        legs: [
          { account: { userId: sender.id }, currency: 'gold', amount: -total },
          { account: { platform: 'revenue' }, currency: 'gold', amount: total },
          { account: { platform: 'issuance' }, currency: 'income', amount: -total },
          { account: { userId: toUserId }, currency: 'income', amount: total },
        ],
      });
      if (!moved.applied) {
        // A retry: fine when it is the same gift, a client bug when the key is reused for another.
        const [earlier] = await deps.db
          .select({ metadata: ledgerTransactions.metadata })
          .from(ledgerTransactions)
          .where(eq(ledgerTransactions.id, moved.transactionId));
        const before = earlier?.metadata ?? {};
        if (before.to !== toUserId || before.giftId !== giftId || before.num !== num)
          throw conflict('this Idempotency-Key was already used for another gift');
      }

      const [gold, income] = await Promise.all([
        balanceOf(deps.db, sender.id, 'gold'),
        balanceOf(deps.db, toUserId, 'income'),
      ]);
      if (moved.applied) {
        if (liveId !== null) {
          deps.pushGift(liveId, {
            liveId,
            fromUserId: sender.id,
            toUserId,
            giftId,
            name: gift.name,
            image: gift.imgUrl,
            effect: gift.effect,
            num,
            gold: total,
          });
        }
        deps.pushWallet(sender.id, { gold });
        deps.pushWallet(toUserId, { income });
      }
      return { gold, income };
    },
  };
}

export type RoomGiftsService = ReturnType<typeof createRoomGiftsService>;
