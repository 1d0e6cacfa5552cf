import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SettlementScreens } from '../../calls/settlement-screens.js';
import { userWithRole } from '../request-user.js';
import { Id } from '../schemas.js';
import { ok, paidCallBody, paidCallResponse } from './envelope.js';

const Body = paidCallBody({ roomInstanceId: Id });

const Common = {
  roomInstanceId: Type.Integer(),
  reason: Type.String({ description: 'why the call ended (hangup_guest, insufficient_funds, banned, ...)' }),
  nickname: Type.String({ description: 'the other party' }),
  headImg: Type.String({ description: 'the other party' }),
  callTime: Type.String({ description: '"5分钟": minutes paid' }),
  title: Type.Optional(Type.String({ description: 'only when this party was banned during the call' })),
  streamStatus: Type.Optional(Type.Integer({ description: '0 account banned / 2 broadcasting banned' })),
};

/** `/app/live/getCallResult*`: each party's settlement screen of one call (see settlement-screens.ts). */
export const paidCallSettlementRoutes: FastifyPluginAsyncTypebox<{ screens: SettlementScreens }> = async (
  app,
  { screens },
) => {
  const tags = ['paid-call: settlement'];

  app.post(
    '/app/live/getCallResultGuest',
    {
      schema: {
        tags,
        body: Body,
        response: {
          200: paidCallResponse({
            ...Common,
            unitPrice: Type.String({ description: '"60钻石/分钟": the diamond price he paid' }),
            callDiamond: Type.String({ description: '"消耗300钻石"' }),
            diamond: Type.String({ description: 'his diamond balance now' }),
          }),
        },
      },
    },
    async (request) => ok(await screens.guest(userWithRole(request, 'guest'), request.body.roomInstanceId)),
  );

  app.post(
    '/app/live/getCallResultMaster',
    {
      schema: {
        tags,
        body: Body,
        response: {
          200: paidCallResponse({
            ...Common,
            unitPrice: Type.String({ description: '"30积分/分钟": her point price' }),
            callPoint: Type.String({ description: '"获得150积分"' }),
            point: Type.String({ description: 'her point balance now' }),
          }),
        },
      },
    },
    async (request) => ok(await screens.master(userWithRole(request, 'anchor'), request.body.roomInstanceId)),
  );
};
