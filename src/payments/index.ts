/** Recharges through WeChat Pay (QLive gold, paid-call diamonds), built once by the app context. */
import type { WechatPayConfig } from '../config/wechat-pay.js';
import type { Db } from '../db/client.js';
import {
  createPaymentNotificationsService,
  type PaymentNotificationsDeps,
} from './payment-notifications.service.js';
import { createRechargeOrdersService } from './recharge-orders.service.js';
import { createRechargePackagesRepository } from './recharge-packages.repository.js';

export function createPayments(deps: {
  db: Db;
  pay: WechatPayConfig;
  appId: string;
  onCredited: PaymentNotificationsDeps['onCredited'];
  onDevelopmentPaymentFailed?(outTradeNo: string, reason: string): void;
}) {
  const packages = createRechargePackagesRepository(deps.db);
  return {
    packages,
    orders: createRechargeOrdersService({
      db: deps.db,
      packages,
      pay: deps.pay,
      appId: deps.appId,
      onDevelopmentPaymentFailed: deps.onDevelopmentPaymentFailed,
    }),
    notifications: createPaymentNotificationsService(deps),
  };
}

export type Payments = ReturnType<typeof createPayments>;
