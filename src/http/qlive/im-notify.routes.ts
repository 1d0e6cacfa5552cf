import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { type ImCallbacks, isImCallbackCommand } from '../../rooms/im-callbacks.js';

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

/** Tencent gives up on a callback after 2 s; an answer must come before that, stored or not. */
const STORE_WAIT_MS = 1_500;

/**
 * Tencent IM's callbacks (qlive-realtime.md §5): `State.StateChange` with `Logout` runs the logout
 * procedure; `Group.CallbackAfterMemberExit` takes the members out of the group's room and tells
 * its matchmaker the counts. A callback is answered OK once its room work is stored on the durable
 * callback queue (rooms/im-callbacks.ts), whose worker runs it as room machine events and retries
 * it when it fails. Tencent ignores the answer to an after-event callback and never sends it
 * again, so a callback Redis did not take within the wait is answered FAIL only to say so (the
 * store goes on in the background and the work runs if it lands).
 */
export const qliveImNotifyRoutes: FastifyPluginAsyncTypebox<{
  imCallbacks: Pick<ImCallbacks, 'take'>;
  /** TENCENT_SDK_APP_ID: a callback for another IM app is refused. */
  sdkAppId: number;
  /** TENCENT_IM_CALLBACK_TOKEN: when set, a callback must be signed with it. */
  callbackToken: string | undefined;
}> = async (app, { imCallbacks, sdkAppId, callbackToken }) => {
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
      if (!isImCallbackCommand(CallbackCommand)) return fail('CallbackCommand Error');
      // A refusal is logged and counted by take(); a store later than the wait still runs the work.
      let timer: NodeJS.Timeout | undefined;
      const stored = await Promise.race([
        imCallbacks.take(CallbackCommand, request.body ?? {}).then(
          () => true,
          () => false,
        ),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), STORE_WAIT_MS);
        }),
      ]).finally(() => clearTimeout(timer));
      if (!stored) return fail('Callback Not Stored');
      return OK;
    },
  );
};
