import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../helpers/app.js';
import { eventually } from '../../helpers/clients.js';
import { closeMoneyServer, liveCall, openMoneyServer, pairOf, post, sendTick } from './money-fixtures.js';

let server: TestServer;
let db: pg.Client;

beforeAll(async () => {
  ({ server, db } = await openMoneyServer('money_records', { BILLING_INTERVAL_MS: '3600000' }));
});
afterAll(async () => {
  await closeMoneyServer({ server, db });
});

const tick = (callId: number, minute: number) => sendTick(server, callId, minute);

/** Moves a record's time to a known instant, to check the China-time strings. */
const placeAt = (callId: number, iso: string) =>
  db.query('update call_records set created_at = $2 where id = $1', [callId, iso]);

async function gift(cost: number) {
  const response = await server.request('POST', '/admin/api/gifts', {
    body: { name: 'Heart', imgUrl: '', cost },
    headers: { authorization: `Bearer ${server.adminToken}` },
  });
  return response.body.giftId as number;
}

describe('call records and income', () => {
  it('lists the guest’s own calls, newest first, with the other party and China-time dates', async () => {
    const { guest, anchor } = await pairOf(server, { diamond: 1000, anchorName: 'Lili' });
    const other = await pairOf(server, { anchorName: 'Someone else' });
    await liveCall(server, other.guest, other.anchor);

    const connected = await liveCall(server, guest, anchor);
    await tick(connected, 2);
    await post(server, '/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
    const missed = await eventually(async () => {
      const applied = await post(server, '/app/live/callApplyMan', {
        token: anchor.token,
        targetUserId: guest.userId,
      });
      return applied.status === 200 ? (applied.body.roomInstanceId as number) : null;
    });
    await post(server, '/app/live/callReplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
      reply: 2,
    });
    // 2024-01-31 16:30 UTC is 2024-02-01 00:30 in China.
    await placeAt(connected, '2024-01-31T16:30:00Z');
    await placeAt(missed, '2024-02-02T01:05:59Z');

    const list = await post(server, '/app/live/myCallRecord', { token: guest.token });
    expect(list.body).toEqual({
      code: 0,
      message: 'success',
      itemList: [
        {
          userId: anchor.userId,
          recordId: missed,
          nickName: 'Lili',
          recordDatetime: '2024-02-02 09:05',
          age: '24',
          imgUrl: 'https://img.example/xiaomei.png',
          status: 1,
          callTime: '0分钟',
        },
        {
          userId: anchor.userId,
          recordId: connected,
          nickName: 'Lili',
          recordDatetime: '2024-02-01 00:30',
          age: '24',
          imgUrl: 'https://img.example/xiaomei.png',
          status: 2,
          callTime: '2分钟',
        },
      ],
    });
    const paged = await post(server, '/app/live/myCallRecord', { token: guest.token, page: 2, pageSize: 1 });
    expect(paged.body.itemList.map((item: { recordId: number }) => item.recordId)).toEqual([connected]);

    const detail = await post(server, '/app/live/getCallRecordDesc', {
      token: anchor.token,
      recordId: connected,
    });
    expect(detail.body).toEqual({
      code: 0,
      message: 'success',
      recordId: connected,
      nickname: 'Dawei',
      age: 31,
      headImg: 'https://img.example/dawei.png',
      recordTime: '2024-02-01 00:30',
      status: 2,
      unitPrice: '30积分/分钟',
      callTime: '2分钟',
      callPoint: '获得60积分',
    });
    const missedDetail = await post(server, '/app/live/getCallRecordDesc', {
      token: anchor.token,
      recordId: missed,
    });
    expect(missedDetail.body).toMatchObject({ status: 1, callTime: '0分钟', callPoint: '获得0积分' });
    // The guest may open his own record too, and sees what he paid.
    const guestDetail = await post(server, '/app/live/getCallRecordDesc', {
      token: guest.token,
      recordId: connected,
    });
    expect(guestDetail.body).toMatchObject({
      nickname: 'Lili',
      unitPriceDiamond: '60钻石/分钟',
      callDiamond: '消耗120钻石',
    });
  });

  it('answers someone else’s record as unknown (404)', async () => {
    const { guest, anchor } = await pairOf(server);
    const stranger = await pairOf(server);
    const callId = await liveCall(server, guest, anchor);
    await post(server, '/app/live/hangUpMan', { token: anchor.token, targetUserId: guest.userId });
    for (const token of [stranger.anchor.token, stranger.guest.token]) {
      const answer = await post(server, '/app/live/getCallRecordDesc', { token, recordId: callId });
      expect(answer).toMatchObject({ status: 404, body: { code: 404, field: 'recordId' } });
    }
    const missing = await post(server, '/app/live/getCallRecordDesc', {
      token: anchor.token,
      recordId: 12345,
    });
    expect(missing.status).toBe(404);
    const strangers = await post(server, '/app/live/myCallRecord', { token: stranger.guest.token });
    expect(strangers.body.itemList).toEqual([]);
  });

  it('sums the anchor’s income from call minutes and gifts, not from grants', async () => {
    const { guest, anchor } = await pairOf(server, { diamond: 5000, unitPrice: 25 });
    await server.request('POST', `/admin/api/users/${anchor.userId}/grants`, {
      body: { currency: 'point', amount: 1000, key: `income-${anchor.userId}` },
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    const empty = await post(server, '/app/live/getMyIncome', { token: anchor.token });
    expect(empty.body).toEqual({
      code: 0,
      message: 'success',
      point: '0积分',
      callTime: '0分钟',
      callIncome: '0积分',
      giftIncome: '0积分',
    });

    const first = await liveCall(server, guest, anchor);
    await tick(first, 2);
    await tick(first, 3);
    const giftId = await gift(120);
    await post(server, '/app/live/sendGift', { token: guest.token, giftId });
    await post(server, '/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
    await eventually(
      async () =>
        (
          await post(server, '/app/live/callApplyGirl', {
            token: guest.token,
            targetUserId: anchor.userId,
          })
        ).status === 200,
    );
    await post(server, '/app/live/startCall', { token: anchor.token, targetUserId: guest.userId });

    // The live call's first minute counts already.
    const income = await post(server, '/app/live/getMyIncome', { token: anchor.token });
    expect(income.body).toMatchObject({
      point: '160积分',
      callTime: '4分钟',
      callIncome: '100积分',
      giftIncome: '60积分',
    });
    const asGuest = await post(server, '/app/live/getMyIncome', { token: guest.token });
    expect(asGuest).toMatchObject({ status: 403, body: { code: 403 } });
    await post(server, '/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
  });
});
