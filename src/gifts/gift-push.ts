import { userRoom } from '../realtime/events.js';
import type { AppSocketServer } from '../realtime/socket-server.js';
import type { SentGift } from './gift-sending.service.js';

/**
 * Tells both parties about a gift: `call:gift` to the guest and the anchor (the clients play the
 * animation), and `wallet:update` with each one's new balance.
 */
export function pushGift(io: AppSocketServer, sent: SentGift): void {
  const { gift, charge } = sent;
  io.to([userRoom(charge.guestId), userRoom(charge.anchorId)]).emit('call:gift', {
    roomInstanceId: charge.roomInstanceId,
    requestId: sent.requestId,
    fromUserId: charge.guestId,
    toUserId: charge.anchorId,
    giftId: gift.id,
    giftName: gift.name,
    giftImgUrl: gift.imgUrl,
    effect: gift.effect,
    amount: charge.amount,
    diamonds: charge.diamonds,
    points: charge.points,
  });
  io.to(userRoom(charge.guestId)).emit('wallet:update', { diamond: sent.guestDiamonds });
  io.to(userRoom(charge.anchorId)).emit('wallet:update', { point: sent.anchorPoints });
}
