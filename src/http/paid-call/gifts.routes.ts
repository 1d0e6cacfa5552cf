import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { GiftsService } from '../../gifts/gifts.service.js';
import { ok, paidCallBody, paidCallResponse } from './envelope.js';

const GiftItem = Type.Object({
  giftId: Type.Integer(),
  giftName: Type.String(),
  giftImgUrl: Type.String(),
  giftCost: Type.Integer({ description: 'diamonds' }),
});

export const paidCallGiftRoutes: FastifyPluginAsyncTypebox<{
  gifts: Pick<GiftsService, 'listActive'>;
}> = async (app, { gifts }) => {
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
      const active = await gifts.listActive();
      return ok({
        itemList: active.map((gift) => ({
          giftId: gift.id,
          giftName: gift.name,
          giftImgUrl: gift.imgUrl,
          giftCost: gift.cost,
        })),
      });
    },
  );
};
