import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { badRequest } from '../../errors.js';
import type { QliveRoomServices } from '../../rooms/index.js';
import type { QliveIm } from '../../rooms/qlive-im.js';
import type { LiveStreams } from '../../tencent/live-streams.js';
import type { WechatAccounts } from '../../users/wechat-accounts.service.js';
import type { familyRateLimit } from '../rate-limits.js';
import { currentUser } from '../request-user.js';
import { detailOk, qliveTokenOf } from './envelope.js';

const AppId = Type.String({ minLength: 1, maxLength: 64, description: 'the mini-program’s appid' });
const Code = Type.String({ minLength: 1, maxLength: 256, description: 'from wx.login()' });

const SignedIn = {
  token: Type.String(),
  user_id: Type.String(),
  user_sign: Type.String({ description: 'Tencent UserSig (tls-sig-api-v2) for sdk_app_id' }),
  sdk_app_id: Type.String(),
};

const LoginResponse = Type.Object({
  status: Type.Integer({ description: '0 known user (signed in), 1 unknown: create with POST qlive_user/' }),
  ...SignedIn,
  login_type: Type.Integer({ description: '0 plain login, 1 the user is in a live room (fields below)' }),
  user_type: Type.Optional(Type.Integer()),
  live_room_name: Type.Optional(Type.String()),
  live_id: Type.Optional(Type.String()),
  group_id: Type.Optional(Type.String()),
});

export interface QliveLoginRoutesDeps {
  qlive: Pick<QliveRoomServices, 'rooms'>;
  qliveIm: Pick<QliveIm, 'userCreated'>;
  live: LiveStreams;
  wechatSignIn: WechatAccounts;
  /** Revokes a token everywhere (logout). */
  revokeToken(token: string): Promise<void>;
  /** The mini-program's appid (WECHAT_APP_ID): a login for another app is refused. */
  appId: string;
  /** The logins family's limit (shared with the paid-call login). */
  rateLimit: ReturnType<typeof familyRateLimit>;
}

/** login, user creation and logout: the QLive app's session. */
export const qliveLoginRoutes: FastifyPluginAsyncTypebox<QliveLoginRoutesDeps> = async (
  app,
  { live, wechatSignIn, qlive, qliveIm, revokeToken, appId: ownAppId, rateLimit },
) => {
  const tags = ['qlive: login'];
  const limited = { auth: false, rateLimit };
  const checkAppId = (appId: string) => {
    if (appId !== ownAppId) throw badRequest('appId is not this mini-program', 'appId');
  };
  const signedIn = (userId: number, token: string) => ({
    token,
    user_id: String(userId),
    user_sign: live.userSig(userId),
    sdk_app_id: String(live.sdkAppId),
  });

  app.post(
    '/qlive_user/login/',
    {
      schema: {
        tags,
        body: Type.Object({ appId: AppId, code: Code }),
        response: { 200: LoginResponse },
      },
      config: limited,
    },
    async (request) => {
      checkAppId(request.body.appId);
      const session = await wechatSignIn.login(request.body.code);
      if (!session) {
        return {
          status: 1,
          token: '',
          user_id: '',
          user_sign: '',
          sdk_app_id: String(live.sdkAppId),
          login_type: 0,
        };
      }
      const room = await qlive.rooms.stateOf(session.user.id);
      return {
        status: 0,
        ...signedIn(session.user.id, session.token),
        login_type: room ? 1 : 0,
        ...(room
          ? {
              user_type: room.userType,
              live_room_name: room.roomName,
              live_id: String(room.liveId),
              group_id: room.groupId,
            }
          : {}),
      };
    },
  );

  app.post(
    '/qlive_user/',
    {
      schema: {
        tags,
        body: Type.Object({
          appId: AppId,
          code: Code,
          encryptedData: Type.String({ minLength: 1, maxLength: 8192 }),
          iv: Type.String({ minLength: 1, maxLength: 64 }),
        }),
        // 200 also for a creation: mini-program code tends to check `statusCode === 200`.
        response: { 200: Type.Object(SignedIn) },
      },
      config: limited,
    },
    async (request) => {
      const { appId, code, encryptedData, iv } = request.body;
      checkAppId(appId);
      const { user, token, created } = await wechatSignIn.register(code, { encryptedData, iv });
      if (created) await qliveIm.userCreated(user);
      return signedIn(user.id, token);
    },
  );

  app.get(
    '/qlive_user/logout/',
    {
      schema: {
        tags,
        security: [{ qliveToken: [] }],
        response: { 200: Type.Object({ detail: Type.String() }) },
      },
    },
    async (request) => {
      const user = currentUser(request);
      await qlive.rooms.logout(user.id);
      const token = qliveTokenOf(request);
      if (token) await revokeToken(token);
      return detailOk;
    },
  );
};
