import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../helpers/app.js';
import { connectClient, type TestClient } from '../../helpers/clients.js';
import {
  balance,
  chargedMinutes,
  closeMoneyServer,
  liveCall,
  openMoneyServer,
  pairOf,
  post,
} from '../../integration/money/money-fixtures.js';

// Short minutes so several billed minutes fit in a test; nothing below asserts on timing.
const BILLING_INTERVAL_MS = 400;
let server: TestServer;
let db: pg.Client;
const clients: TestClient[] = [];

beforeAll(async () => {
  ({ server, db } = await openMoneyServer('money_e2e', { BILLING_INTERVAL_MS: String(BILLING_INTERVAL_MS) }));
});
afterAll(async () => {
  for (const client of clients) client.close();
  await closeMoneyServer({ server, db });
});

async function app(token: string): Promise<TestClient> {
  const client = await connectClient(server, token);
  clients.push(client);
  return client;
}

/**
 * A live call at 60 diamonds a minute (unitPrice 30) by a guest holding `diamonds`, watched from his
 * app until the server ends it: answers the parties, his app and the call, and the call's last view.
 */
async function callUntilBroke(diamonds: number) {
  const { guest, anchor } = await pairOf(server, { diamond: diamonds, unitPrice: 30 });
  const guestApp = await app(guest.token);
  const callId = await liveCall(server, guest, anchor);
  const ended = await guestApp.next(
    'call:update',
    (view) => view.roomInstanceId === callId && view.state === 'settled',
    15_000,
  );
  return { guest, anchor, guestApp, callId, ended };
}

async function createGift(cost: number) {
  const response = await server.request('POST', '/admin/api/gifts', {
    body: { name: 'Rose', imgUrl: 'https://img.example/rose.png', cost, effect: 'petals' },
    headers: { authorization: `Bearer ${server.adminToken}` },
  });
  return response.body.giftId as number;
}

describe('a paid call from first minute to settlement screens', () => {
  it('bills each started minute, takes a gift during the call, and shows both settlement screens', async () => {
    const { guest, anchor } = await pairOf(server, { diamond: 2000, unitPrice: 30 });
    const giftId = await createGift(100);
    const guestApp = await app(guest.token);
    const anchorApp = await app(anchor.token);
    const callId = await liveCall(server, guest, anchor);
    // Minute 1 was charged when it went live; wait for minute 2 to begin before the gift.
    await guestApp.next('call:update', (view) => view.roomInstanceId === callId && view.minutes >= 2, 10_000);

    const gift = await post(server, '/app/live/sendGift', { token: guest.token, giftId });
    expect(gift.body).toMatchObject({ code: 0, roomInstanceId: callId, toUserId: anchor.userId, amount: 1 });
    for (const party of [guestApp, anchorApp]) {
      expect(await party.next('call:gift', (push) => push.requestId === gift.body.requestId)).toMatchObject({
        roomInstanceId: callId,
        fromUserId: guest.userId,
        toUserId: anchor.userId,
        giftId,
        giftName: 'Rose',
        effect: 'petals',
        amount: 1,
        diamonds: 100,
        points: 50,
      });
    }

    await guestApp.next('call:update', (view) => view.roomInstanceId === callId && view.minutes >= 3, 10_000);
    const hungUp = await post(server, '/app/live/hangUpGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
    });
    expect(hungUp.body).toMatchObject({ code: 0, state: 'ended', reason: 'hangup_guest' });
    const minutes: number = (
      await anchorApp.next(
        'call:update',
        (view) => view.roomInstanceId === callId && view.state === 'settled',
      )
    ).minutes;
    expect(minutes).toBeGreaterThanOrEqual(3);
    expect(await chargedMinutes(db, callId)).toEqual(Array.from({ length: minutes }, (_, i) => i + 1));

    const guestScreen = await post(server, '/app/live/getCallResultGuest', {
      token: guest.token,
      roomInstanceId: callId,
    });
    expect(guestScreen.status).toBe(200);
    expect(guestScreen.body).toEqual({
      code: 0,
      message: 'success',
      roomInstanceId: callId,
      reason: 'hangup_guest',
      nickname: 'Xiaomei',
      headImg: 'https://img.example/xiaomei.png',
      unitPrice: '60钻石/分钟',
      callTime: `${minutes}分钟`,
      callDiamond: `消耗${60 * minutes}钻石`,
      diamond: String(2000 - 60 * minutes - 100),
    });

    const masterScreen = await post(server, '/app/live/getCallResultMaster', {
      token: anchor.token,
      roomInstanceId: String(callId),
    });
    expect(masterScreen.body).toEqual({
      code: 0,
      message: 'success',
      roomInstanceId: callId,
      reason: 'hangup_guest',
      nickname: 'Dawei',
      headImg: 'https://img.example/dawei.png',
      unitPrice: '30积分/分钟',
      callTime: `${minutes}分钟`,
      callPoint: `获得${30 * minutes}积分`,
      point: String(30 * minutes + 50),
    });
  });

  it('warns the guest before his money runs out, then ends the call itself and leaves the unspendable rest', async () => {
    // 150 diamonds at 60 a minute: minutes 1 and 2 are paid, 30 are left, minute 3 cannot be.
    const { guest, anchor, guestApp, callId, ended } = await callUntilBroke(150);
    expect(ended).toMatchObject({ reason: 'insufficient_funds', minutes: 2 });

    const warning = guestApp.received.findIndex(
      (push) => push.event === 'call:update' && push.payload.lowBalance === true,
    );
    const end = guestApp.received.findIndex(
      (push) => push.event === 'call:update' && push.payload.reason === 'insufficient_funds',
    );
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(warning).toBeLessThan(end);
    expect(guestApp.received[warning]?.payload).toMatchObject({
      roomInstanceId: callId,
      state: 'live',
      minutes: 2,
      lowBalance: true,
      diamond: 30,
      paidUntil: expect.any(Number),
    });
    expect(await guestApp.next('wallet:update', (push) => push.lowBalance === true)).toMatchObject({
      diamond: 30,
      roomInstanceId: callId,
      unitPriceDiamond: 60,
    });

    expect(await balance(db, guest.userId, 'diamond')).toBe(30);
    expect(await chargedMinutes(db, callId)).toEqual([1, 2]);
    const screen = await post(server, '/app/live/getCallResultGuest', {
      token: guest.token,
      roomInstanceId: callId,
    });
    expect(screen.body).toMatchObject({
      code: 0,
      reason: 'insufficient_funds',
      callTime: '2分钟',
      callDiamond: '消耗120钻石',
      diamond: '30',
    });
    // He is free again, and cannot start another call he cannot pay for.
    const again = await post(server, '/app/live/callApplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
    });
    expect(again.status).toBe(200);
    const start = await post(server, '/app/live/startCall', {
      token: anchor.token,
      targetUserId: guest.userId,
    });
    expect(start).toMatchObject({ status: 402, body: { code: 402 } });
  });

  it('spends a balance that is an exact number of minutes down to 0', async () => {
    const { guest, anchor, callId, ended } = await callUntilBroke(120);
    expect(ended).toMatchObject({ reason: 'insufficient_funds', minutes: 2 });
    expect(await balance(db, guest.userId, 'diamond')).toBe(0);
    const info = await post(server, '/app/user/getCurrentUserInfo', { token: guest.token });
    expect(info.body.diamond).toBe('0');
    const master = await post(server, '/app/live/getCallResultMaster', {
      token: anchor.token,
      roomInstanceId: callId,
    });
    expect(master.body).toMatchObject({ callTime: '2分钟', callPoint: '获得60积分', point: '60' });
  });
});
