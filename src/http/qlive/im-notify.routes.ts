import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { QliveRoomServices } from '../../rooms/index.js';

const ImAnswer = Type.Object({
  ActionStatus: Type.String({ description: 'OK, or FAIL' }),
  ErrorInfo: Type.String(),
  ErrorCode: Type.Integer({ description: '0, also on FAIL (as QLive’s original server answered)' }),
});

const OK = { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 };
const fail = (why: string) => ({ ActionStatus: 'FAIL', ErrorInfo: why, ErrorCode: 0 });

/** Tencent refuses a callback whose RequestTime is further than this from now; so do we. */
const CALLBACK_MAX_SKEW_SECONDS = 60;

/** Tencent's callback signature: hex SHA-256 of token + RequestTime. */
export function imCallbackSign(token: string, requestTime: string): string {
  return createHash('sha256').update(`${token}${requestTime}`).digest('hex');
}

function signIsValid(token: string, requestTime: string | undefined, sign: string | undefined): boolean {
  if (!requestTime || !sign || !/^\d{1,12}$/.test(requestTime)) return false;
  if (Math.abs(Date.now() / 1000 - Number(requestTime)) > CALLBACK_MAX_SKEW_SECONDS) return false;
  const expected = Buffer.from(imCallbackSign(token, requestTime));
  const given = Buffer.from(sign.toLowerCase());
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const accountId = (value: unknown): number | null =>
  typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : null;

/**
 * Tencent IM's callbacks (qlive-realtime.md §5): `State.StateChange` with `Logout` runs the logout
 * procedure; `Group.CallbackAfterMemberExit` takes the members out of the group's room and tells
 * its matchmaker the counts. Answered at once; the work then runs as room machine events (Tencent
 * ignores the answer to an after-event callback and does not wait for it).
 */
export const qliveImNotifyRoutes: FastifyPluginAsyncTypebox<{
  qlive: Pick<QliveRoomServices, 'rooms'>;
  /** TENCENT_SDK_APP_ID: a callback for another IM app is refused. */
  sdkAppId: number;
  /** TENCENT_IM_CALLBACK_TOKEN: when set, a callback must be signed with it. */
  callbackToken: string | undefined;
}> = async (app, { qlive, sdkAppId, callbackToken }) => {
  const handlers: Record<string, (body: Record<string, unknown>) => Promise<void>> = {
    'State.StateChange': async (body) => {
      const info = body.Info as Record<string, unknown> | undefined;
      const userId = accountId(info?.To_Account);
      if (info?.Action === 'Logout' && userId !== null) await qlive.rooms.logout(userId);
    },
    'Group.CallbackAfterMemberExit': async (body) => {
      const list = Array.isArray(body.ExitMemberList) ? body.ExitMemberList : [];
      const userIds = list
        .map((member) => accountId((member as Record<string, unknown> | null)?.Member_Account))
        .filter((id): id is number => id !== null);
      if (typeof body.GroupId === 'string') await qlive.rooms.membersExitedGroup(body.GroupId, userIds);
    },
  };

  app.post(
    '/im_notify/',
    {
      schema: {
        tags: ['qlive: Tencent IM callbacks'],
        description: 'Tencent IM callback URL (configure it in the IM console); no Authorization',
        querystring: Type.Object({
          SdkAppid: Type.Optional(Type.String({ maxLength: 32 })),
          CallbackCommand: Type.Optional(Type.String({ maxLength: 64 })),
          contenttype: Type.Optional(Type.String({ maxLength: 16 })),
          ClientIP: Type.Optional(Type.String({ maxLength: 64 })),
          OptPlatform: Type.Optional(Type.String({ maxLength: 32 })),
          RequestTime: Type.Optional(Type.String({ maxLength: 16 })),
          Sign: Type.Optional(Type.String({ maxLength: 128 })),
        }),
        body: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        response: { 200: ImAnswer },
      },
      config: { auth: false },
    },
    async (request) => {
      const { SdkAppid, CallbackCommand, RequestTime, Sign } = request.query;
      if (!SdkAppid || !/^\d+$/.test(SdkAppid) || Number(SdkAppid) !== sdkAppId)
        return fail('SdkAppid Error');
      if (callbackToken !== undefined && !signIsValid(callbackToken, RequestTime, Sign))
        return fail('Sign Error');
      const handler = CallbackCommand ? handlers[CallbackCommand] : undefined;
      if (!handler) return fail('CallbackCommand Error');
      const body = request.body ?? {};
      setImmediate(() => {
        handler(body).catch((err: unknown) =>
          request.log.error({ err, command: CallbackCommand }, 'IM callback work failed'),
        );
      });
      return OK;
    },
  );
};
