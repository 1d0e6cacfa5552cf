import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { RecordScreens } from '../../calls/call-records.screens.js';
import { currentUser, userWithRole } from '../request-user.js';
import { Id } from '../schemas.js';
import { ok, paidCallBody, paidCallResponse } from './envelope.js';

const RecordItem = Type.Object({
  userId: Type.Integer({ description: 'the other party' }),
  recordId: Type.Integer({ description: 'for getCallRecordDesc; also the roomInstanceId' }),
  nickName: Type.String(),
  recordDatetime: Type.String({ description: '"yyyy-MM-dd HH:mm", China time, when the call was placed' }),
  age: Type.String(),
  imgUrl: Type.String(),
  status: Type.Integer({ description: '1 missed / 2 connected' }),
  callTime: Type.String({ description: '"5分钟"' }),
});

/** `/app/live/myCallRecord`, `getCallRecordDesc`, `getMyIncome`: the caller's own history. */
export const paidCallRecordRoutes: FastifyPluginAsyncTypebox<{ screens: RecordScreens }> = async (
  app,
  { screens },
) => {
  const tags = ['paid-call: records'];

  app.post(
    '/app/live/myCallRecord',
    {
      schema: {
        tags,
        body: paidCallBody({
          page: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'not in the app doc' })),
          pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 100 })),
        }),
        response: { 200: paidCallResponse({ itemList: Type.Array(RecordItem) }) },
      },
    },
    async (request) => {
      const { page = 1, pageSize = 100 } = request.body;
      return ok({ itemList: await screens.list(currentUser(request), page, pageSize) });
    },
  );

  app.post(
    '/app/live/getCallRecordDesc',
    {
      schema: {
        tags,
        body: paidCallBody({ recordId: Id }),
        response: {
          200: paidCallResponse({
            recordId: Type.Integer(),
            nickname: Type.String({ description: 'the other party' }),
            age: Type.Integer(),
            headImg: Type.String(),
            recordTime: Type.String({ description: '"yyyy-MM-dd HH:mm", China time' }),
            status: Type.Integer({ description: '1 missed / 2 connected' }),
            unitPrice: Type.String({ description: '"30积分/分钟"' }),
            callTime: Type.String({ description: '"5分钟"' }),
            callPoint: Type.String({ description: '"获得150积分"' }),
            unitPriceDiamond: Type.Optional(Type.String({ description: 'guest only: "60钻石/分钟"' })),
            callDiamond: Type.Optional(Type.String({ description: 'guest only: "消耗300钻石"' })),
          }),
        },
      },
    },
    async (request) => ok(await screens.detail(currentUser(request), request.body.recordId)),
  );

  app.post(
    '/app/live/getMyIncome',
    {
      schema: {
        tags,
        body: paidCallBody({}),
        response: {
          200: paidCallResponse({
            point: Type.String({ description: '"150积分": all points earned (calls and gifts)' }),
            callTime: Type.String({ description: '"5分钟": all minutes paid' }),
            callIncome: Type.String({ description: '"100积分": from call minutes' }),
            giftIncome: Type.String({ description: '"50积分": from gifts' }),
          }),
        },
      },
    },
    async (request) => ok(await screens.income(userWithRole(request, 'anchor'))),
  );
};
