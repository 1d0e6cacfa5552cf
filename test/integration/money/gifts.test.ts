import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../helpers/app.js';
import { connectClient, type TestClient } from '../../helpers/clients.js';
import { balance, closeMoneyServer, liveCall, openMoneyServer, pairOf, post } from './money-fixtures.js';

let server: TestServer;
let db: pg.Client;
let rose: number;
let ring: number;
const clients: TestClient[] = [];

beforeAll(async () => {
  ({ server, db } = await openMoneyServer('money_gifts', { BILLING_INTERVAL_MS: '3600000' }));
  rose = await createGift('Rose', 100);
  ring = await createGift('Ring', 999);
});
afterAll(async () => {
  for (const client of clients) client.close();
  await closeMoneyServer({ server, db });
});

async function createGift(name: string, cost: number) {
  const response = await server.request('POST', '/admin/api/gifts', {
    body: { name, imgUrl: `https://img.example/${name}.png`, cost },
    headers: { authorization: `Bearer ${server.adminToken}` },
  });
  return response.body.giftId as number;
}

async function app(token: string) {
  const client = await connectClient(server, token);
  clients.push(client);
  return client;
}

async function giftCount(guestId: number): Promise<number> {
  const { rows } = await db.query(
    "select count(*)::int as n from ledger_transactions where kind = 'gift' and metadata->>'guestId' = $1",
    [String(guestId)],
  );
  return rows[0].n;
}

describe('sendGift', () => {
  it('moves the gift from the guest’s diamonds to the anchor’s points and pushes it to both', async () => {
    const { guest, anchor } = await pairOf(server, { diamond: 1000 });
    const guestApp = await app(guest.token);
    const anchorApp = await app(anchor.token);
    const callId = await liveCall(server, guest, anchor);

    const sent = await post(server, '/app/live/sendGift', {
      token: guest.token,
      giftId: String(rose),
      amount: '3',
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({
      code: 0,
      roomInstanceId: callId,
      toUserId: anchor.userId,
      giftId: rose,
      amount: 3,
      diamonds: 300,
      diamond: String(1000 - 60 - 300),
      replayed: false,
    });
    const push = { roomInstanceId: callId, giftName: 'Rose', amount: 3, diamonds: 300, points: 150 };
    expect(await guestApp.next('call:gift')).toMatchObject(push);
    expect(await anchorApp.next('call:gift')).toMatchObject(push);
    expect(await anchorApp.next('wallet:update', (wallet) => wallet.point !== undefined)).toEqual({
      point: 30 + 150,
    });
    expect(await guestApp.next('wallet:update', (wallet) => wallet.diamond === 640)).toEqual({
      diamond: 640,
    });
    expect(await balance(db, anchor.userId, 'point')).toBe(30 + 150);
    // A gift is not a call minute: the call's charges and record stay minutes only.
    await post(server, '/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
    const screen = await post(server, '/app/live/getCallResultGuest', {
      token: guest.token,
      roomInstanceId: callId,
    });
    expect(screen.body).toMatchObject({ callDiamond: '消耗60钻石', diamond: '640' });
  });

  it('sends once per Idempotency-Key or requestId, however often the request is retried', async () => {
    const { guest, anchor } = await pairOf(server, { diamond: 1000 });
    const anchorApp = await app(anchor.token);
    await liveCall(server, guest, anchor);
    const headers = { 'idempotency-key': `tap-${guest.userId}` };
    const tries = await Promise.all(
      [1, 2, 3].map(() =>
        server.request('POST', '/app/live/sendGift', { body: { token: guest.token, giftId: rose }, headers }),
      ),
    );
    for (const answer of tries)
      expect(answer.body).toMatchObject({ code: 0, requestId: `tap-${guest.userId}` });
    expect(tries.filter((answer) => answer.body.replayed === false)).toHaveLength(1);
    const byBody = { token: guest.token, giftId: rose, requestId: `body-${guest.userId}` };
    await post(server, '/app/live/sendGift', byBody);
    const retried = await post(server, '/app/live/sendGift', byBody);
    expect(retried.body).toMatchObject({ code: 0, replayed: true, diamonds: 100 });
    // A retry after the call ended still answers the gift it sent.
    await post(server, '/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
    expect((await post(server, '/app/live/sendGift', byBody)).body).toMatchObject({
      code: 0,
      replayed: true,
    });

    expect(await giftCount(guest.userId)).toBe(2);
    expect(await balance(db, guest.userId, 'diamond')).toBe(1000 - 60 - 200);
    expect(anchorApp.received.filter((push) => push.event === 'call:gift')).toHaveLength(2);

    const reused = await post(server, '/app/live/sendGift', { ...byBody, giftId: ring });
    expect(reused).toMatchObject({ status: 409, body: { code: 409 } });
    const differing = await server.request('POST', '/app/live/sendGift', {
      body: { ...byBody, requestId: 'other' },
      headers,
    });
    expect(differing).toMatchObject({ status: 400, body: { field: 'requestId' } });
  });

  it('answers 402 and moves nothing when the guest cannot pay', async () => {
    const { guest, anchor } = await pairOf(server, { diamond: 1000 });
    await liveCall(server, guest, anchor);
    const tooDear = await post(server, '/app/live/sendGift', { token: guest.token, giftId: ring });
    expect(tooDear).toMatchObject({ status: 402, body: { code: 402 } });
    expect(await balance(db, guest.userId, 'diamond')).toBe(940);
    expect(await balance(db, anchor.userId, 'point')).toBe(30);
    expect(await giftCount(guest.userId)).toBe(0);
    await post(server, '/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
  });

  it('sends to a named anchor without a call, and refuses what has no recipient or no such gift', async () => {
    const { guest, anchor } = await pairOf(server, { diamond: 500 });
    const noCall = await post(server, '/app/live/sendGift', { token: guest.token, giftId: rose });
    expect(noCall).toMatchObject({ status: 409, body: { code: 409 } });
    const named = await post(server, '/app/live/sendGift', {
      token: guest.token,
      giftId: rose,
      targetUserId: anchor.userId,
    });
    expect(named.body).toMatchObject({
      code: 0,
      roomInstanceId: null,
      toUserId: anchor.userId,
      diamond: '400',
    });

    const unknownGift = await post(server, '/app/live/sendGift', { token: guest.token, giftId: 987_654 });
    expect(unknownGift).toMatchObject({ status: 404, body: { code: 404, field: 'giftId' } });
    const notAnAnchor = await post(server, '/app/live/sendGift', {
      token: guest.token,
      giftId: rose,
      targetUserId: guest.userId,
    });
    expect(notAnAnchor).toMatchObject({ status: 404, body: { field: 'targetUserId' } });
    const byAnchor = await post(server, '/app/live/sendGift', { token: anchor.token, giftId: rose });
    expect(byAnchor).toMatchObject({ status: 403, body: { code: 403 } });
    const badAmount = await post(server, '/app/live/sendGift', {
      token: guest.token,
      giftId: rose,
      amount: 0,
    });
    expect(badAmount).toMatchObject({ status: 400, body: { field: 'amount' } });
    expect(await balance(db, guest.userId, 'diamond')).toBe(400);
  });
});
