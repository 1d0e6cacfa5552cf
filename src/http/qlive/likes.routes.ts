import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { badRequest } from '../../errors.js';
import type { QliveRoomServices } from '../../rooms/index.js';
import { currentUser } from '../request-user.js';
import { Id } from '../schemas.js';

const LikeState = Type.Union([Type.Literal(0), Type.Literal(1)], { description: '1 liked, 0 not' });

/** qlive_like: like or unlike someone (POST) and ask whether you do (GET). */
export const qliveLikeRoutes: FastifyPluginAsyncTypebox<{
  qlive: Pick<QliveRoomServices, 'profiles' | 'likes'>;
}> = async (app, { qlive }) => {
  const tags = ['qlive: likes'];
  const security = [{ qliveToken: [] }];

  app.post(
    '/qlive_like/',
    {
      schema: {
        tags,
        security,
        body: Type.Object({ user_id: Id, like_state: LikeState }),
        // "ok" in lower case, exactly as the document shows for this endpoint.
        response: { 200: Type.Object({ detail: Type.String() }) },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const { user_id: targetId, like_state: likeState } = request.body;
      if (targetId === user.id) throw badRequest('you cannot like yourself', 'user_id');
      await qlive.profiles.get(targetId);
      await qlive.likes.set(user.id, targetId, likeState === 1);
      return { detail: 'ok' };
    },
  );

  app.get(
    '/qlive_like/',
    {
      schema: {
        tags,
        security,
        querystring: Type.Object({ user_id: Id }),
        response: { 200: Type.Object({ like_state: Type.Integer() }) },
      },
    },
    async (request) => {
      const user = currentUser(request);
      await qlive.profiles.get(request.query.user_id);
      return { like_state: (await qlive.likes.isLiked(user.id, request.query.user_id)) ? 1 : 0 };
    },
  );
};
