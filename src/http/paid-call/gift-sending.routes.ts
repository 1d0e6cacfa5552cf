import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { badRequest } from '../../errors.js';
import type { GiftSendingService } from '../../gifts/gift-sending.service.js';
import type { familyRateLimit } from '../rate-limits.js';
import { userWithRole } from '../request-user.js';
import { Id } from '../schemas.js';
import { ok, paidCallBody, paidCallResponse } from './envelope.js';

export interface GiftSendingRoutesDeps {
  giftSending: GiftSendingService;
  /** The gifts family's limit (shared with QLive push_gift). */
  rateLimit: ReturnType<typeof familyRateLimit>;
}

const RequestId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' });

/** `/app/live/sendGift`: the guest gives a gift to the anchor of his call (or the one he names). */
export const paidCallGiftSendingRoutes: FastifyPluginAsyncTypebox<GiftSendingRoutesDeps> = async (
  app,
  { giftSending, rateLimit },
) => {
  app.post(
    '/app/live/sendGift',
    {
      schema: {
        tags: ['paid-call: gifts'],
        headers: Type.Object({ 'idempotency-key': Type.Optional(RequestId) }),
        body: paidCallBody({
          giftId: Id,
          amount: Type.Optional(Type.Integer({ minimum: 1, maximum: 9_999, default: 1 })),
          targetUserId: Type.Optional(Id),
          requestId: Type.Optional(RequestId),
        }),
        response: {
          200: paidCallResponse({
            requestId: Type.String({
              description: 'retrying with this id (or Idempotency-Key) sends nothing twice',
            }),
            replayed: Type.Boolean({
              description: 'true: this request id was already sent; nothing moved again',
            }),
            roomInstanceId: Type.Union([Type.Integer(), Type.Null()]),
            toUserId: Type.Integer(),
            giftId: Type.Integer(),
            amount: Type.Integer(),
            diamonds: Type.Integer({ description: 'diamonds this gift cost' }),
            diamond: Type.String({ description: 'his diamond balance now' }),
          }),
        },
      },
      // Idempotency is the gift service's own (ledger key from Idempotency-Key or requestId), which
      // also answers concurrent duplicates with the replay rather than a 409.
      config: { rateLimit },
    },
    async (request) => {
      const guest = userWithRole(request, 'guest');
      const header = request.headers['idempotency-key'];
      const { giftId, amount = 1, targetUserId, requestId = header } = request.body;
      if (header !== undefined && requestId !== header) {
        throw badRequest('requestId and the Idempotency-Key header differ', 'requestId');
      }
      const sent = await giftSending.send(guest, { giftId, amount, targetUserId, requestId });
      return ok({
        requestId: sent.requestId,
        replayed: !sent.applied,
        roomInstanceId: sent.charge.roomInstanceId,
        toUserId: sent.charge.anchorId,
        giftId: sent.gift.id,
        amount: sent.charge.amount,
        diamonds: sent.charge.diamonds,
        diamond: String(sent.guestDiamonds),
      });
    },
  );
};
