import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { ok, paidCallBody, paidCallResponse } from './envelope.js';

const GiftItem = Type.Object({
  giftId: Type.Integer(),
  giftName: Type.String(),
  giftImgUrl: Type.String(),
  giftCost: Type.Integer({ description: 'diamonds' }),
});

export const paidCallGiftRoutes: FastifyPluginAsyncTypebox<{ context: AppContext }> = async (
  app,
  { context },
) => {
  app.post(
    '/app/live/getGiftList',
    {
      schema: {
        tags: ['paid-call: gifts'],
        body: paidCallBody({}),
        response: { 200: paidCallResponse({ itemList: Type.Array(GiftItem) }) },
      },
    },
    async () => {
      const gifts = await context.gifts.listActive();
      return ok({
        itemList: gifts.map((gift) => ({
          giftId: gift.id,
          giftName: gift.name,
          giftImgUrl: gift.imgUrl,
          giftCost: gift.cost,
        })),
      });
    },
  );
};
