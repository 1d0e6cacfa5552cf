import { eq } from 'drizzle-orm';
import type { WechatPayConfig } from '../config/wechat-pay.js';
import type { Db } from '../db/client.js';
import { rechargeOrders, type User } from '../db/schema/index.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { developmentPaymentNotification, developmentPrepayId } from '../wechat/development.js';
import { createJsapiOrder, type MiniProgramPaymentParams, miniProgramPaymentParams } from '../wechat/pay.js';
import { newOutTradeNo } from './out-trade-no.js';
import type { RechargeCurrency, RechargePackagesRepository } from './recharge-packages.repository.js';

export interface RechargeOrdersDeps {
  db: Db;
  packages: RechargePackagesRepository;
  pay: WechatPayConfig;
  /** The mini-program's appid (the payer's openid belongs to it). */
  appId: string;
  /** Where a development payment that could not be delivered is reported. */
  onDevelopmentPaymentFailed?(outTradeNo: string, reason: string): void;
}

export interface PlacedOrder {
  outTradeNo: string;
  amount: number;
  priceFen: number;
  /** The object the mini-program passes to `wx.requestPayment`. */
  payment: MiniProgramPaymentParams;
}

const DESCRIPTION: Record<RechargeCurrency, (amount: number) => string> = {
  gold: (amount) => `${amount}金币`,
  diamond: (amount) => `${amount}钻石`,
};

/** How long WeChat keeps an unpaid order payable (its prepay_id lives 2 hours too). */
const ORDER_TTL_MS = 2 * 3600_000;

/**
 * Places a recharge: our `recharge_orders` row first (so the payment notification always finds
 * it), then the JSAPI order at WeChat Pay, then the signed `wx.requestPayment` parameters. Nothing
 * is credited here; only a verified notification does that (payment-notifications.service.ts).
 */
export function createRechargeOrdersService(deps: RechargeOrdersDeps) {
  const { db, pay } = deps;
  const platformCertificates = new Map([[pay.platformSerial, pay.platformPublicKeyPem]]);

  /**
   * Development WeChat Pay: the user "pays" at once, and the notification WeChat would send is
   * POSTed to the order's notify URL, so it is verified and credited by the real path.
   */
  function payInDevelopment(notifyUrl: string, order: Parameters<typeof developmentPaymentNotification>[1]) {
    const { headers, body } = developmentPaymentNotification(pay, order);
    setImmediate(() => {
      fetch(notifyUrl, { method: 'POST', headers, body }).then(
        async (response) => {
          await response.arrayBuffer();
          if (!response.ok)
            deps.onDevelopmentPaymentFailed?.(order.outTradeNo, `notify answered ${response.status}`);
        },
        (error: Error) => deps.onDevelopmentPaymentFailed?.(order.outTradeNo, error.message),
      );
    });
  }

  return {
    async place(
      user: User,
      packageId: number,
      currency: RechargeCurrency,
      options: { notifyUrl: string; field: string },
    ): Promise<PlacedOrder> {
      const pkg = await deps.packages.findActive(packageId, currency);
      if (!pkg) throw notFound(`no ${currency} recharge package ${packageId}`, options.field);
      if (!user.wechatOpenid)
        throw badRequest('log in with WeChat first: WeChat Pay needs the payer’s openid', options.field);
      const outTradeNo = newOutTradeNo();
      await db.insert(rechargeOrders).values({
        outTradeNo,
        userId: user.id,
        packageId: pkg.id,
        currency,
        amount: pkg.amount,
        priceFen: pkg.priceFen,
      });
      let prepayId: string;
      try {
        ({ prepayId } = pay.development
          ? { prepayId: developmentPrepayId(outTradeNo) }
          : await createJsapiOrder({
              apiBase: pay.apiBase,
              mchId: pay.mchId,
              appId: deps.appId,
              serialNo: pay.serialNo,
              privateKeyPem: pay.privateKeyPem,
              description: DESCRIPTION[currency](pkg.amount),
              outTradeNo,
              notifyUrl: options.notifyUrl,
              amountFen: pkg.priceFen,
              payerOpenid: user.wechatOpenid,
              timeExpire: new Date(Date.now() + ORDER_TTL_MS),
              platformCertificates,
            }));
      } catch (error) {
        // A refusal is final; after a timeout or a 5xx WeChat may still have the order, so it stays
        // pending and a later notification can still credit it.
        if (error instanceof AppError && error.statusCode < 500)
          await db
            .update(rechargeOrders)
            .set({ status: 'failed' })
            .where(eq(rechargeOrders.outTradeNo, outTradeNo));
        throw error;
      }
      await db.update(rechargeOrders).set({ prepayId }).where(eq(rechargeOrders.outTradeNo, outTradeNo));
      if (pay.development) {
        payInDevelopment(options.notifyUrl, {
          outTradeNo,
          priceFen: pkg.priceFen,
          payerOpenid: user.wechatOpenid,
          appId: deps.appId,
        });
      }
      return {
        outTradeNo,
        amount: pkg.amount,
        priceFen: pkg.priceFen,
        payment: miniProgramPaymentParams({ appId: deps.appId, prepayId, privateKeyPem: pay.privateKeyPem }),
      };
    },
  };
}

export type RechargeOrdersService = ReturnType<typeof createRechargeOrdersService>;
