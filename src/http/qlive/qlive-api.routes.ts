import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RateLimitsPerMinute } from '../../config/index.js';
import type { Payments } from '../../payments/index.js';
import type { ConfigsService } from '../../platform/configs.service.js';
import type { ImCallbacks } from '../../rooms/im-callbacks.js';
import type { QliveRoomServices } from '../../rooms/index.js';
import type { QliveIm } from '../../rooms/qlive-im.js';
import type { LiveStreams } from '../../tencent/live-streams.js';
import type { WechatAccounts } from '../../users/wechat-accounts.service.js';
import { acceptEmptyJsonBodies } from '../lenient-body.js';
import { familyRateLimit } from '../rate-limits.js';
import { qliveConfigRoutes } from './configs.routes.js';
import { qliveGiftPushRoutes } from './gift-push.routes.js';
import { qliveImNotifyRoutes } from './im-notify.routes.js';
import { qliveLikeRoutes } from './likes.routes.js';
import { qliveLoginRoutes } from './login.routes.js';
import { qliveMicroRoutes } from './micro.routes.js';
import { qlivePayRoutes } from './pay.routes.js';
import { qliveRoomRoutes } from './rooms.routes.js';
import { qliveUserRoutes } from './users.routes.js';

export interface QliveApiDeps {
  qlive: QliveRoomServices;
  qliveIm: QliveIm;
  /** Stores Tencent IM's callbacks for the room work they ask for. */
  imCallbacks: Pick<ImCallbacks, 'take'>;
  live: LiveStreams;
  wechatSignIn: WechatAccounts;
  configs: Pick<ConfigsService, 'get'>;
  payments: Payments;
  /** Revokes a token everywhere (logout). */
  revokeToken(token: string): Promise<void>;
  /** The mini-program's appid (WECHAT_APP_ID). */
  appId: string;
  /** Tencent IM's app and callback token, which its callbacks must name and be signed with. */
  im: { sdkAppId: number; callbackToken: string | undefined };
  /** WECHATPAY_NOTIFY_URL, if set. */
  notifyUrl: string | undefined;
  rateLimits: RateLimitsPerMinute;
}

/** Every QLive endpoint but the gift list, in one encapsulated scope with QLive's lenient bodies. */
export const qliveApiRoutes: FastifyPluginAsyncTypebox<QliveApiDeps> = async (app, deps) => {
  const { qlive, qliveIm, live, configs, rateLimits } = deps;
  acceptEmptyJsonBodies(app);
  await app.register(qliveLoginRoutes, {
    qlive,
    qliveIm,
    live,
    wechatSignIn: deps.wechatSignIn,
    revokeToken: deps.revokeToken,
    appId: deps.appId,
    rateLimit: familyRateLimit('logins', rateLimits),
  });
  await app.register(qliveUserRoutes, { qlive, qliveIm, live, configs });
  await app.register(qliveRoomRoutes, { qlive, qliveIm, live });
  await app.register(qliveMicroRoutes, { qlive, live });
  await app.register(qliveGiftPushRoutes, { qlive, rateLimit: familyRateLimit('gifts', rateLimits) });
  await app.register(qliveLikeRoutes, { qlive });
  await app.register(qliveConfigRoutes, { configs });
  await app.register(qlivePayRoutes, {
    payments: deps.payments,
    rateLimit: familyRateLimit('orders', rateLimits),
    notifyUrl: deps.notifyUrl,
  });
  await app.register(qliveImNotifyRoutes, {
    imCallbacks: deps.imCallbacks,
    sdkAppId: deps.im.sdkAppId,
    callbackToken: deps.im.callbackToken,
  });
};
