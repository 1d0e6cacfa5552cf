import { eq } from 'drizzle-orm';
import { balanceOf, postMovement } from '../billing/ledger.js';
import type { WechatPayConfig } from '../config/wechat-pay.js';
import type { Db } from '../db/client.js';
import { rechargeOrders } from '../db/schema/index.js';
import { badRequest, notFound } from '../errors.js';
import { parsePaymentNotification } from '../wechat/pay.js';
import type { RechargeCurrency } from './recharge-packages.repository.js';

export interface PaymentNotificationsDeps {
  db: Db;
  pay: WechatPayConfig;
  appId: string;
  /** Tells the payer's app its new balance (wallet:update). */
  onCredited?(userId: number, currency: RechargeCurrency, balance: number): void;
}

/** What became of one notification; every outcome is acknowledged to WeChat with a 2xx. */
export type NotificationOutcome = 'credited' | 'already-credited' | 'not-a-payment';

/**
 * WeChat Pay's payment notifications. Order of trust: the platform signature over the raw body
 * (401 when forged, tampered or replayed outside ±5 minutes), then the AES-GCM resource, then our
 * own checks — our mchid and appid, a known order, the exact amount — each a 4xx that credits
 * nothing. A genuine payment credits its package once: the order row is locked, the ledger
 * movement has the unique key `pay:<out_trade_no>`, so retries, duplicates and concurrent
 * deliveries in any order find it done and are simply acknowledged.
 */
export function createPaymentNotificationsService(deps: PaymentNotificationsDeps) {
  const { db, pay } = deps;
  const platformCertificates = new Map([[pay.platformSerial, pay.platformPublicKeyPem]]);

  return {
    async handle(
      headers: Record<string, string | string[] | undefined>,
      body: string,
    ): Promise<NotificationOutcome> {
      const notification = parsePaymentNotification({
        headers,
        body,
        platformCertificates,
        apiV3Key: pay.apiV3Key,
      });
      const paid = notification.transaction;
      if (paid.mchid !== pay.mchId || paid.appid !== deps.appId)
        throw badRequest('the notification is for another merchant or app', 'mchid');
      // Refunds, closed orders and the like: nothing to credit, but WeChat wants an answer.
      if (notification.eventType !== 'TRANSACTION.SUCCESS' || paid.trade_state !== 'SUCCESS')
        return 'not-a-payment';

      const outcome = await db.transaction(async (tx) => {
        const [order] = await tx
          .select()
          .from(rechargeOrders)
          .where(eq(rechargeOrders.outTradeNo, paid.out_trade_no))
          .for('update');
        if (!order) throw notFound(`no order ${paid.out_trade_no}`, 'out_trade_no');
        if (paid.amount.total !== order.priceFen || (paid.amount.currency ?? 'CNY') !== 'CNY')
          throw badRequest(
            `order ${order.outTradeNo} costs ${order.priceFen} fen, the notification says ${paid.amount.total}`,
            'amount',
          );
        if (order.status === 'paid') return { credited: false, order };
        await postMovement(tx as unknown as Db, {
          key: `pay:${order.outTradeNo}`,
          kind: 'recharge',
          reference: `order:${order.outTradeNo}`,
          metadata: {
            transactionId: paid.transaction_id,
            packageId: order.packageId,
            priceFen: order.priceFen,
          },
          legs: [
            { account: { platform: 'recharge_clearing' }, currency: order.currency, amount: -order.amount },
            { account: { userId: order.userId }, currency: order.currency, amount: order.amount },
          ],
        });
        await tx
          .update(rechargeOrders)
          .set({ status: 'paid', transactionId: paid.transaction_id, paidAt: new Date() })
          .where(eq(rechargeOrders.outTradeNo, order.outTradeNo));
        return { credited: true, order };
      });

      if (!outcome.credited) return 'already-credited';
      const { userId, currency } = outcome.order;
      deps.onCredited?.(userId, currency, await balanceOf(db, userId, currency));
      return 'credited';
    },
  };
}

export type PaymentNotificationsService = ReturnType<typeof createPaymentNotificationsService>;
