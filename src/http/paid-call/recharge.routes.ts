import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Payments } from '../../payments/index.js';
import { notifyUrlFor } from '../../payments/notify-url.js';
import { yuan } from '../../payments/price-format.js';
import type { familyRateLimit } from '../rate-limits.js';
import { userWithRole } from '../request-user.js';
import { Id } from '../schemas.js';
import { ok, paidCallBody, paidCallResponse } from './envelope.js';

export interface RechargeRoutesDeps {
  payments: Pick<Payments, 'packages' | 'orders'>;
  /** The orders family's limit (shared with QLive's qlive_pay). */
  rateLimit: ReturnType<typeof familyRateLimit>;
  /** WECHATPAY_NOTIFY_URL, if set. */
  notifyUrl: string | undefined;
}

/**
 * Diamond recharges for the paid-call guest app, which its document leaves out (only the order
 * list, getOrderList, is documented). Same WeChat Pay flow and notification endpoint as QLive's
 * gold: `getRechargeList` lists the diamond packages, `createOrder` answers the
 * `wx.requestPayment` parameters; diamonds are credited when WeChat notifies the payment.
 */
export const paidCallRechargeRoutes: FastifyPluginAsyncTypebox<RechargeRoutesDeps> = async (
  app,
  { payments, rateLimit, notifyUrl },
) => {
  const tags = ['paid-call: pay'];

  app.post(
    '/app/pay/getRechargeList',
    {
      schema: {
        tags,
        body: paidCallBody({}),
        response: {
          200: paidCallResponse({
            itemList: Type.Array(
              Type.Object({
                packageId: Type.Integer(),
                diamond: Type.Integer(),
                price: Type.String({ description: 'yuan, two decimals' }),
                priceFen: Type.Integer(),
              }),
            ),
          }),
        },
      },
    },
    async () => {
      const packages = await payments.packages.listActive('diamond');
      return ok({
        itemList: packages.map((pkg) => ({
          packageId: pkg.id,
          diamond: pkg.amount,
          price: yuan(pkg.priceFen),
          priceFen: pkg.priceFen,
        })),
      });
    },
  );

  app.post(
    '/app/pay/createOrder',
    {
      schema: {
        tags,
        body: paidCallBody({ packageId: Id }),
        response: {
          200: paidCallResponse({
            outTradeNo: Type.String(),
            diamond: Type.Integer(),
            payFee: Type.Integer({ description: 'fen' }),
            timeStamp: Type.String(),
            nonceStr: Type.String(),
            package: Type.String(),
            signType: Type.String(),
            paySign: Type.String(),
          }),
        },
      },
      config: { idempotent: true, rateLimit },
    },
    async (request) => {
      const guest = userWithRole(request, 'guest');
      const placed = await payments.orders.place(guest, request.body.packageId, 'diamond', {
        notifyUrl: notifyUrlFor(request, notifyUrl),
        field: 'packageId',
      });
      return ok({
        outTradeNo: placed.outTradeNo,
        diamond: placed.amount,
        payFee: placed.priceFen,
        ...placed.payment,
      });
    },
  );
};
