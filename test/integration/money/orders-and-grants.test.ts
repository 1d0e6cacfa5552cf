import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../helpers/app.js';
import { connectClient } from '../../helpers/clients.js';
import { balance, closeMoneyServer, openMoneyServer, post } from './money-fixtures.js';

let server: TestServer;
let db: pg.Client;

beforeAll(async () => {
  ({ server, db } = await openMoneyServer('money_orders'));
});
afterAll(async () => {
  await closeMoneyServer({ server, db });
});

const asAdmin = (extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${server.adminToken}`,
  ...extra,
});
const grant = (userId: number, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  server.request('POST', `/admin/api/users/${userId}/grants`, { body, headers: asAdmin(headers) });

describe('getOrderList', () => {
  it('lists the guest’s diamond recharges, newest first, in cents with China-time dates', async () => {
    const guest = await server.createUser({ role: 'guest' });
    const other = await server.createUser({ role: 'guest' });
    const { rows } = await db.query(
      "insert into recharge_packages (currency, amount, price_fen) values ('diamond', 600, 600), ('gold', 60, 600) returning id",
    );
    const [diamonds, gold] = rows.map((row: { id: string }) => Number(row.id));
    const order = (
      no: string,
      userId: number,
      pkg: number,
      currency: string,
      status: string,
      at: string,
      paid?: string,
    ) =>
      db.query(
        `insert into recharge_orders (out_trade_no, user_id, package_id, currency, amount, price_fen, status, created_at, paid_at)
         values ($1, $2, $3, $4, 600, 600, $5, $6, $7)`,
        [no, userId, pkg, currency, status, at, paid ?? null],
      );
    await order(
      'A1',
      guest.userId,
      diamonds!,
      'diamond',
      'paid',
      '2024-03-01T02:00:00Z',
      '2024-03-01T02:00:07Z',
    );
    await order('A2', guest.userId, diamonds!, 'diamond', 'failed', '2024-03-02T15:59:59Z');
    await order('A3', guest.userId, diamonds!, 'diamond', 'pending', '2024-03-03T00:00:00Z');
    await order('A4', guest.userId, diamonds!, 'diamond', 'closed', '2024-02-01T00:00:00Z');
    await order('G1', guest.userId, gold!, 'gold', 'paid', '2024-03-04T00:00:00Z', '2024-03-04T00:00:01Z');
    await order(
      'B1',
      other.userId,
      diamonds!,
      'diamond',
      'paid',
      '2024-03-05T00:00:00Z',
      '2024-03-05T00:00:01Z',
    );

    const list = await post(server, '/app/pay/getOrderList', { token: guest.token });
    expect(list.body).toEqual({
      code: 0,
      message: 'success',
      itemList: [
        {
          payFee: 600,
          payStatusValue: '待支付',
          payDateTime: '2024-03-03 08:00:00',
          payStatus: 'pending',
          outTradeNo: 'A3',
          diamond: 600,
        },
        {
          payFee: 600,
          payStatusValue: '充值失败',
          payDateTime: '2024-03-02 23:59:59',
          payStatus: 'failed',
          outTradeNo: 'A2',
          diamond: 600,
        },
        {
          payFee: 600,
          payStatusValue: '充值成功',
          payDateTime: '2024-03-01 10:00:07',
          payStatus: 'paid',
          outTradeNo: 'A1',
          diamond: 600,
        },
        {
          payFee: 600,
          payStatusValue: '充值失败',
          payDateTime: '2024-02-01 08:00:00',
          payStatus: 'closed',
          outTradeNo: 'A4',
          diamond: 600,
        },
      ],
    });
    const none = await post(server, '/app/pay/getOrderList', {
      token: (await server.createUser({ role: 'guest' })).token,
    });
    expect(none.body).toEqual({ code: 0, message: 'success', itemList: [] });
    expect((await post(server, '/app/pay/getOrderList', {})).status).toBe(401);
  });
});

describe('admin grants', () => {
  it('credits a user once per idempotency key and tells his app', async () => {
    const guest = await server.createUser({ role: 'guest', diamond: 5 });
    const guestApp = await connectClient(server, guest.token);
    try {
      const first = await grant(
        guest.userId,
        { currency: 'diamond', amount: 500, reason: 'apology' },
        {
          'idempotency-key': `comp-${guest.userId}`,
        },
      );
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        userId: guest.userId,
        currency: 'diamond',
        amount: 500,
        balance: 505,
        replayed: false,
        transactionId: expect.any(Number),
      });
      expect(await guestApp.next('wallet:update', (wallet) => wallet.diamond === 505)).toEqual({
        diamond: 505,
      });
      const again = await grant(guest.userId, {
        currency: 'diamond',
        amount: 500,
        key: `comp-${guest.userId}`,
      });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({
        balance: 505,
        replayed: true,
        transactionId: first.body.transactionId,
      });
      expect(await balance(db, guest.userId, 'diamond')).toBe(505);
      const info = await post(server, '/app/user/getCurrentUserInfo', { token: guest.token });
      expect(info.body.diamond).toBe('505');

      const { rows } = await db.query(
        `select t.kind, t.metadata->>'reason' as reason, a.platform, e.amount from ledger_transactions t
           join ledger_entries e on e.transaction_id = t.id join accounts a on a.id = e.account_id
          where t.id = $1 order by e.amount`,
        [first.body.transactionId],
      );
      expect(rows).toEqual([
        { kind: 'admin_grant', reason: 'apology', platform: 'admin_grants', amount: '-500' },
        { kind: 'admin_grant', reason: 'apology', platform: null, amount: '500' },
      ]);
    } finally {
      guestApp.close();
    }
  });

  it('refuses a grant without a key, with a reused key, for nobody, or without the admin token', async () => {
    const guest = await server.createUser({ role: 'guest' });
    const noKey = await grant(guest.userId, { currency: 'diamond', amount: 1 });
    expect(noKey).toMatchObject({ status: 400, body: { error: 'bad_request', field: 'key' } });
    await grant(guest.userId, { currency: 'diamond', amount: 10, key: 'k-reuse' });
    const reused = await grant(guest.userId, { currency: 'diamond', amount: 11, key: 'k-reuse' });
    expect(reused).toMatchObject({ status: 409, body: { error: 'conflict' } });
    const nobody = await grant(99_999_999, { currency: 'diamond', amount: 1, key: 'k-nobody' });
    expect(nobody).toMatchObject({ status: 404, body: { error: 'not_found' } });
    const badCurrency = await grant(guest.userId, { currency: 'yuan', amount: 1, key: 'k-yuan' });
    expect(badCurrency).toMatchObject({ status: 400, body: { field: 'currency' } });
    const negative = await grant(guest.userId, { currency: 'diamond', amount: -5, key: 'k-neg' });
    expect(negative).toMatchObject({ status: 400, body: { field: 'amount' } });
    const anonymous = await server.request('POST', `/admin/api/users/${guest.userId}/grants`, {
      body: { currency: 'diamond', amount: 1, key: 'k-anon' },
    });
    expect(anonymous.status).toBe(401);
    expect(await balance(db, guest.userId, 'diamond')).toBe(10);
  });
});
