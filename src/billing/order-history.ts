import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rechargeOrders } from '../db/schema/index.js';
import { chinaDateTime } from './display.js';

export { ORDER_STATUSES } from '../db/schema/index.js';

type OrderStatus = (typeof rechargeOrders.$inferSelect)['status'];

/**
 * `payStatusValue`: the document names 充值成功 and 充值失败 only. An order still waiting for
 * WeChat's notification shows 待支付 (it becomes 充值成功 once the payment is verified); a failed
 * or closed (expired, cancelled) one is 充值失败.
 */
const STATUS_TEXT: Record<OrderStatus, string> = {
  paid: '充值成功',
  failed: '充值失败',
  closed: '充值失败',
  pending: '待支付',
};

/** getOrderList: the user's diamond recharge orders, newest first, in the paid-call app's shape. */
export function createOrderHistory(db: Db) {
  return { of: (userId: number, limit = 100) => orderHistoryOf(db, userId, limit) };
}

export type OrderHistory = ReturnType<typeof createOrderHistory>;

async function orderHistoryOf(db: Db, userId: number, limit: number) {
  const orders = await db
    .select()
    .from(rechargeOrders)
    .where(and(eq(rechargeOrders.userId, userId), eq(rechargeOrders.currency, 'diamond')))
    .orderBy(desc(rechargeOrders.createdAt), desc(rechargeOrders.outTradeNo))
    .limit(limit);
  return orders.map((order) => ({
    payFee: order.priceFen,
    payStatusValue: STATUS_TEXT[order.status],
    // When it was paid; an unpaid order shows when it was placed.
    payDateTime: chinaDateTime(order.paidAt ?? order.createdAt, true),
    payStatus: order.status,
    outTradeNo: order.outTradeNo,
    diamond: order.amount,
  }));
}
