import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { GiftsService } from '../../gifts/gifts.service.js';
import { PageQuery, PaginatedResponse, pageOf, paginated } from './pagination.js';

const QliveGift = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  image: Type.String(),
  gold: Type.Integer(),
  effect: Type.String(),
});

export const qliveGiftRoutes: FastifyPluginAsyncTypebox<{
  gifts: Pick<GiftsService, 'page'>;
}> = async (app, { gifts: catalogue }) => {
  app.get(
    '/qlive_gift/',
    {
      schema: {
        tags: ['qlive: gifts'],
        security: [{ qliveToken: [] }],
        querystring: PageQuery,
        response: { 200: PaginatedResponse(QliveGift) },
      },
    },
    async (request) => {
      const page = pageOf(request.query);
      const { total, gifts } = await catalogue.page(page.offset, page.size);
      return paginated(
        request,
        page,
        total,
        gifts.map((gift) => ({
          id: gift.id,
          name: gift.name,
          image: gift.imgUrl,
          gold: gift.cost,
          effect: gift.effect,
        })),
      );
    },
  );
};
