import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { badRequest } from '../../errors.js';
import type { WechatAccounts } from '../../users/wechat-accounts.service.js';
import type { familyRateLimit } from '../rate-limits.js';
import { StringEnum } from '../schemas.js';
import { ok, paidCallBody, paidCallResponse } from './envelope.js';

/**
 * `POST /app/login/wechatLogin` — the paid-call apps' WeChat login, which their document leaves
 * out: one call signs in, or signs a new user up with the app's role (the guest app sends
 * `guest`, the anchor app `anchor`). `encryptedData` + `iv` (from getUserProfile) fill a new
 * user's nickname, gender and avatar. A WeChat account registered with the other role gets 403.
 */
export const paidCallLoginRoutes: FastifyPluginAsyncTypebox<{
  wechatSignIn: Pick<WechatAccounts, 'loginWithRole'>;
  /** The logins family's limit (shared with QLive's logins). */
  rateLimit: ReturnType<typeof familyRateLimit>;
}> = async (app, { wechatSignIn, rateLimit }) => {
  app.post(
    '/app/login/wechatLogin',
    {
      schema: {
        tags: ['paid-call: login'],
        body: paidCallBody({
          code: Type.String({ minLength: 1, maxLength: 256, description: 'from wx.login()' }),
          role: StringEnum(['guest', 'anchor'] as const),
          encryptedData: Type.Optional(Type.String({ maxLength: 8192 })),
          iv: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: {
          200: paidCallResponse({
            token: Type.String(),
            userId: Type.Integer(),
            isNew: Type.Boolean({ description: 'true when this login created the user' }),
          }),
        },
      },
      config: { auth: false, rateLimit },
    },
    async (request) => {
      const { code, role, encryptedData, iv } = request.body;
      if (Boolean(encryptedData) !== Boolean(iv))
        throw badRequest('encryptedData and iv come together', encryptedData ? 'iv' : 'encryptedData');
      const encrypted = encryptedData && iv ? { encryptedData, iv } : undefined;
      const { user, token, created } = await wechatSignIn.loginWithRole(code, role, encrypted);
      return ok({ token, userId: user.id, isNew: created });
    },
  );
};
