import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ORDER_STATUSES, type OrderHistory } from '../../billing/order-history.js';
import { currentUser } from '../request-user.js';
import { StringEnum } from '../schemas.js';
import { ok, paidCallBody, paidCallResponse } from './envelope.js';

const OrderItem = Type.Object({
  payFee: Type.Integer({ description: 'price paid, in fen (cents)' }),
  payStatusValue: Type.String({ description: '充值成功 / 充值失败 / 待支付 (not paid yet)' }),
  payDateTime: Type.String({ description: '"yyyy-MM-dd HH:mm:ss", China time: paid at, else placed at' }),
  payStatus: StringEnum(ORDER_STATUSES),
  outTradeNo: Type.String(),
  diamond: Type.Integer({ description: 'diamonds the order credits' }),
});

/** `/app/pay/getOrderList`: the caller's diamond recharge orders (written by src/payments). */
export const paidCallOrderRoutes: FastifyPluginAsyncTypebox<{ orderHistory: OrderHistory }> = async (
  app,
  { orderHistory },
) => {
  app.post(
    '/app/pay/getOrderList',
    {
      schema: {
        tags: ['paid-call: pay'],
        body: paidCallBody({}),
        response: { 200: paidCallResponse({ itemList: Type.Array(OrderItem) }) },
      },
    },
    async (request) => ok({ itemList: await orderHistory.of(currentUser(request).id) }),
  );
};
