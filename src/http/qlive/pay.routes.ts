import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Payments } from '../../payments/index.js';
import { notifyUrlFor } from '../../payments/notify-url.js';
import { yuan } from '../../payments/price-format.js';
import { describeError } from '../describe-error.js';
import type { familyRateLimit } from '../rate-limits.js';
import { currentUser } from '../request-user.js';
import { Id } from '../schemas.js';
import { PageOf, PageQuery, pageItems, pageOf } from './pagination.js';
import { qliveDateTime } from './wire-format.js';

/** qlive_pay: gold packages, placing a recharge, and WeChat Pay's payment notification. */
export const qlivePayRoutes: FastifyPluginAsyncTypebox<{
  payments: Payments;
  /** The orders family's limit (shared with the paid-call createOrder). */
  rateLimit: ReturnType<typeof familyRateLimit>;
  /** WECHATPAY_NOTIFY_URL, if set. */
  notifyUrl: string | undefined;
}> = async (app, { payments, rateLimit, notifyUrl }) => {
  const tags = ['qlive: recharge'];
  const security = [{ qliveToken: [] }];

  app.get(
    '/qlive_pay/',
    {
      schema: {
        tags,
        security,
        querystring: PageQuery,
        response: {
          200: PageOf(
            Type.Object({
              id: Type.Integer({ description: 'the block_id to buy it with' }),
              gold: Type.Integer(),
              price: Type.String({ description: 'yuan, two decimals: "6.00"' }),
            }),
            'the gold packages on sale, in the operator’s order',
          ),
        },
      },
    },
    async (request) => {
      const packages = pageItems(pageOf(request.query), await payments.packages.listActive('gold'));
      return packages.map((pkg) => ({ id: pkg.id, gold: pkg.amount, price: yuan(pkg.priceFen) }));
    },
  );

  app.post(
    '/qlive_pay/',
    {
      schema: {
        tags,
        security,
        body: Type.Object({ block_id: Id }),
        response: {
          200: Type.Object({
            success: Type.String(),
            timestamp: Type.String({ description: 'when the order was placed, Beijing time' }),
            sign: Type.String({ description: 'the paySign (also inside content)' }),
            content: Type.String({
              description:
                'JSON of wx.requestPayment’s parameters: timeStamp, nonceStr, package, signType, paySign',
            }),
            out_trade_no: Type.String(),
          }),
        },
      },
      config: { idempotent: true, rateLimit },
    },
    async (request) => {
      const user = currentUser(request);
      const placed = await payments.orders.place(user, request.body.block_id, 'gold', {
        notifyUrl: notifyUrlFor(request, notifyUrl),
        field: 'block_id',
      });
      return {
        success: 'success',
        timestamp: qliveDateTime(Date.now()),
        sign: placed.payment.paySign,
        content: JSON.stringify(placed.payment),
        out_trade_no: placed.outTradeNo,
      };
    },
  );

  // WeChat signs the exact bytes it sends, so this scope keeps the body as the raw string.
  await app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    raw.post(
      '/qlive_pay/notify/',
      {
        schema: {
          tags,
          description: 'WeChat Pay v3 payment notification (signed by the platform key); 204 when taken',
          response: {
            204: Type.Null(),
            '4xx': Type.Object({ code: Type.String(), message: Type.String(), detail: Type.String() }),
          },
        },
        config: { auth: false },
        // WeChat Pay's failure answer is {code, message} (it retries on anything but 2xx); `detail`
        // keeps it in QLive's error style too.
        errorHandler: (error, request, reply) => {
          const described = describeError(error);
          if (described.status >= 500) request.log.error({ err: error }, 'payment notification failed');
          else request.log.warn({ reason: described.message }, 'payment notification refused');
          return reply
            .status(described.status)
            .send({ code: 'FAIL', message: described.message, detail: described.message });
        },
      },
      async (request, reply) => {
        const body = typeof request.body === 'string' ? request.body : '';
        const outcome = await payments.notifications.handle(request.headers, body);
        request.log.info({ outcome }, 'payment notification');
        return reply.status(204).send();
      },
    );
  });
};
