import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.js';
import { acceptEmptyJsonBodies } from '../lenient-body.js';
import { qliveConfigRoutes } from './configs.routes.js';
import { qliveGiftPushRoutes } from './gift-push.routes.js';
import { qliveImNotifyRoutes } from './im-notify.routes.js';
import { qliveLikeRoutes } from './likes.routes.js';
import { qliveLoginRoutes } from './login.routes.js';
import { qliveMicroRoutes } from './micro.routes.js';
import { qlivePayRoutes } from './pay.routes.js';
import { qliveRoomRoutes } from './rooms.routes.js';
import { qliveUserRoutes } from './users.routes.js';

/** Every QLive endpoint but the gift list, in one encapsulated scope with QLive's lenient bodies. */
export const qliveApiRoutes: FastifyPluginAsyncTypebox<{ context: AppContext }> = async (
  app,
  { context },
) => {
  acceptEmptyJsonBodies(app);
  for (const routes of [
    qliveLoginRoutes,
    qliveUserRoutes,
    qliveRoomRoutes,
    qliveMicroRoutes,
    qliveGiftPushRoutes,
    qliveLikeRoutes,
    qliveConfigRoutes,
    qlivePayRoutes,
    qliveImNotifyRoutes,
  ]) {
    await app.register(routes, { context });
  }
};
