/**
 * Recharging gold with WeChat Pay against a local WeChat that signs real v3 notifications: gold is
 * credited only by a genuine notification of the exact amount, exactly once however often and in
 * whatever order it comes; everything forged, replayed, foreign or wrong is a 4xx that credits nothing.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QliveHarness, type SignedUp, startQliveHarness } from './qlive-harness.js';

let h: QliveHarness;
let db: pg.Client;

beforeAll(async () => {
  h = await startQliveHarness('qlive_recharge');
  db = new pg.Client({ connectionString: h.server.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db.end();
  await h.close();
});

const gold = async (user: SignedUp) =>
  (await h.get('/qlive_user/get_userinfo/', user.token)).body.gold as number;

async function orderFor(user: SignedUp, index = 0) {
  const packages = await h.get('/qlive_pay/', user.token);
  const order = await h.post('/qlive_pay/', user.token, { block_id: packages.body[index].id });
  expect(order.status).toBe(200);
  return { outTradeNo: order.body.out_trade_no as string, pkg: packages.body[index] as { gold: number } };
}

async function orderRow(outTradeNo: string) {
  const { rows } = await db.query(
    'select status, transaction_id from recharge_orders where out_trade_no = $1',
    [outTradeNo],
  );
  return rows[0] as { status: string; transaction_id: string | null };
}

describe('recharge', () => {
  it('credits a paid order once, whether WeChat repeats the notification in a row or all at once', async () => {
    const user = await h.signUp({ nickName: 'payer', gender: 1 });
    const { outTradeNo, pkg } = await orderFor(user, 1);
    expect(pkg.gold).toBe(300);
    expect(await orderRow(outTradeNo)).toEqual({ status: 'pending', transaction_id: null });

    const statuses = await Promise.all(
      Array.from({ length: 5 }, () => h.wechat.notifyPaid(outTradeNo, h.notifyUrl)),
    );
    expect(statuses).toEqual([204, 204, 204, 204, 204]);
    expect(await h.wechat.notifyPaid(outTradeNo, h.notifyUrl)).toBe(204);
    expect(await gold(user)).toBe(300);
    const row = await orderRow(outTradeNo);
    expect(row.status).toBe('paid');
    expect(row.transaction_id).toBe(h.wechat.orders.get(outTradeNo)?.transactionId);
    const { rows } = await db.query(
      "select count(*)::int as n from ledger_transactions where idempotency_key = $1 and kind = 'recharge'",
      [`pay:${outTradeNo}`],
    );
    expect(rows[0].n).toBe(1);
  });

  it('keeps two orders of one user apart, whichever is paid first', async () => {
    const user = await h.signUp({ nickName: 'two orders', gender: 2 });
    const first = await orderFor(user, 0);
    const second = await orderFor(user, 1);
    expect(await h.wechat.notifyPaid(second.outTradeNo, h.notifyUrl)).toBe(204);
    expect(await h.wechat.notifyPaid(first.outTradeNo, h.notifyUrl)).toBe(204);
    expect(await h.wechat.notifyPaid(second.outTradeNo, h.notifyUrl)).toBe(204);
    expect(await gold(user)).toBe(360);
  });

  it('never credits an order that was not paid', async () => {
    const user = await h.signUp({ nickName: 'window shopper', gender: 1 });
    const { outTradeNo } = await orderFor(user);
    // A notification that is genuine but not a success (e.g. still NOTPAY) is acknowledged, not credited.
    const notPaid = await h.wechat.notifyPaid(outTradeNo, h.notifyUrl, {
      transaction: { trade_state: 'NOTPAY' },
    });
    expect(notPaid).toBe(204);
    expect(await gold(user)).toBe(0);
    expect((await orderRow(outTradeNo)).status).toBe('pending');
  });

  it('refuses forged, tampered, replayed, foreign and wrong-amount notifications without crediting', async () => {
    const user = await h.signUp({ nickName: 'target', gender: 1 });
    const { outTradeNo } = await orderFor(user);
    const notify = (options: Parameters<QliveHarness['wechat']['notifyPaid']>[2]) =>
      h.wechat.notifyPaid(outTradeNo, h.notifyUrl, options);

    expect(await notify({ tamper: true })).toBe(401);
    expect(await notify({ timestamp: Math.floor(Date.now() / 1000) - 3600 })).toBe(401);
    expect(await notify({ transaction: { amount: { total: 1, payer_total: 1, currency: 'CNY' } } })).toBe(
      400,
    );
    expect(await notify({ transaction: { mchid: '1900000999' } })).toBe(400);
    expect(await notify({ transaction: { appid: 'wxsomebodyelse' } })).toBe(400);

    // A notification with no Wechatpay-* signature at all (someone posting by hand).
    const unsigned = await fetch(h.notifyUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'x', event_type: 'TRANSACTION.SUCCESS', resource: {} }),
    });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ code: 'FAIL' });

    expect(await gold(user)).toBe(0);
    expect(await orderRow(outTradeNo)).toEqual({ status: 'pending', transaction_id: null });

    // The genuine one still credits afterwards.
    expect(await h.wechat.notifyPaid(outTradeNo, h.notifyUrl)).toBe(204);
    expect(await gold(user)).toBe(60);
  });

  it('answers 404 to a genuine notification for an order it never placed', async () => {
    const user = await h.signUp({ nickName: 'ghost', gender: 1 });
    const { outTradeNo } = await orderFor(user);
    const placed = h.wechat.orders.get(outTradeNo)!;
    const status = await h.wechat.notifyPaid(
      { ...placed, out_trade_no: 'R20990101000000ffffffffffff' },
      h.notifyUrl,
    );
    expect(status).toBe(404);
    expect(await gold(user)).toBe(0);
  });

  it('sells paid-call diamonds through the same flow and notification endpoint', async () => {
    const openid = `o-diamond-${Date.now()}`;
    const identity = { openid, sessionKey: Buffer.alloc(16, 7).toString('base64') };
    const login = await h.server.request('POST', '/app/login/wechatLogin', {
      body: { code: h.code(identity), role: 'guest' },
    });
    const token = login.body.token as string;
    const call = (path: string, body: Record<string, unknown> = {}) =>
      h.server.request('POST', path, { body: { token, ...body } });

    const list = await call('/app/pay/getRechargeList');
    expect(list.body).toMatchObject({ code: 0 });
    expect(list.body.itemList[0]).toEqual({
      packageId: expect.any(Number),
      diamond: 60,
      price: '6.00',
      priceFen: 600,
    });
    const order = await call('/app/pay/createOrder', { packageId: String(list.body.itemList[0].packageId) });
    expect(order.body).toMatchObject({
      code: 0,
      diamond: 60,
      payFee: 600,
      package: expect.stringMatching(/^prepay_id=/),
      signType: 'RSA',
      paySign: expect.any(String),
    });
    // A QLive gold block is not a diamond package.
    const goldBlock = (await h.get('/qlive_pay/', token)).body[0].id;
    expect((await call('/app/pay/createOrder', { packageId: goldBlock })).status).toBe(404);

    expect((await call('/app/user/getCurrentUserInfo')).body.diamond).toBe('0');
    expect(await h.wechat.notifyPaid(order.body.outTradeNo, h.notifyUrl)).toBe(204);
    expect(await h.wechat.notifyPaid(order.body.outTradeNo, h.notifyUrl)).toBe(204);
    expect((await call('/app/user/getCurrentUserInfo')).body.diamond).toBe('60');
    expect(await gold({ token } as SignedUp)).toBe(0);
  });

  it('explains a package that does not exist, a payer without WeChat, and WeChat Pay refusing the order', async () => {
    const user = await h.signUp({ nickName: 'unlucky', gender: 2 });
    const unknown = await h.post('/qlive_pay/', user.token, { block_id: 999_999 });
    expect(unknown).toMatchObject({ status: 404, body: { field: 'block_id' } });

    const noWechat = await h.server.createUser({ role: 'guest' });
    const packages = await h.get('/qlive_pay/', noWechat.token);
    const without = await h.post('/qlive_pay/', noWechat.token, { block_id: packages.body[0].id });
    expect(without.status).toBe(400);
    expect(without.body.detail).toContain('openid');

    h.wechat.failNextOrder({ status: 403, code: 'RULE_LIMIT', message: '交易金额超限' });
    const refused = await h.post('/qlive_pay/', user.token, { block_id: packages.body[0].id });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain('交易金额超限');
    const { rows } = await db.query('select status from recharge_orders where user_id = $1', [user.userId]);
    expect(rows).toEqual([{ status: 'failed' }]);
  });
});
