import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.js';
import { connectClient, eventually, type TestClient } from '../helpers/clients.js';

let server: TestServer;
const clients: TestClient[] = [];

beforeAll(async () => {
  server = await startTestServer('call_flow', { RING_TIMEOUT_MS: '600', DISCONNECT_GRACE_MS: '400' });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server.close();
});

async function client(token: string): Promise<TestClient> {
  const opened = await connectClient(server, token);
  clients.push(opened);
  return opened;
}

const post = (path: string, body: Record<string, unknown>) => server.request('POST', path, { body });

async function pair(guestDiamonds = 1000) {
  const guest = await server.createUser({
    role: 'guest',
    nickname: 'Dawei',
    age: 31,
    diamond: guestDiamonds,
  });
  const anchor = await server.createUser({ role: 'anchor', nickname: 'Xiaomei', age: 24, unitPrice: 30 });
  return { guest, anchor };
}

describe('guest calls anchor (男找女)', () => {
  it('rings the anchor at once, goes live when she accepts and starts, and settles after the guest hangs up', async () => {
    const { guest, anchor } = await pair();
    const guestApp = await client(guest.token);
    const anchorApp = await client(anchor.token);

    const applied = await post('/app/live/callApplyGirl', {
      token: guest.token,
      targetUserId: String(anchor.userId),
    });
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ code: 0, state: 'ringing', matchStatus: 2 });
    const roomInstanceId = applied.body.roomInstanceId;
    expect(roomInstanceId).toEqual(expect.any(Number));

    const incoming = await anchorApp.next('call:update', (view) => view.roomInstanceId === roomInstanceId);
    expect(incoming).toMatchObject({
      roomInstanceId,
      state: 'ringing',
      matchStatus: 2,
      reason: null,
      guestId: guest.userId,
      anchorId: anchor.userId,
      initiator: 'guest',
      unitPrice: 30,
      unitPriceDiamond: 60,
    });

    const room = await post('/weapp/live_room/create_room', { token: anchor.token, guestId: guest.userId });
    expect(room.body).toMatchObject({ code: 0, roomInstanceId });
    const roomID: string = room.body.roomID;
    expect(roomID).toMatch(/^room_[0-9a-f]{8}_[0-9a-f]{4}$/);
    expect(room.body.pushURL).toMatch(
      new RegExp(`^rtmp://.+/live/${roomID}_${anchor.userId}\\?txSecret=[0-9a-f]{32}&txTime=[0-9A-F]+$`),
    );
    // The guest learns the room from the call's push.
    const accepted = await guestApp.next('call:update', (view) => view.state === 'accepted');
    expect(accepted.roomID).toBe(roomID);

    const guestPush = await post('/weapp/live_room/get_push_url', {
      token: guest.token,
      userID: String(guest.userId),
      roomID,
    });
    expect(guestPush.body).toMatchObject({ code: 0, roomInstanceId });
    expect(guestPush.body.pushURL).toContain(`/live/${roomID}_${guest.userId}?`);

    const started = await post('/app/live/startCall', { token: anchor.token, targetUserId: guest.userId });
    expect(started.body).toMatchObject({ code: 0, state: 'live', matchStatus: 1, roomInstanceId });
    const live = await guestApp.next('call:update', (view) => view.state === 'live');
    expect(live.startedAt).toEqual(expect.any(Number));
    await anchorApp.next('call:update', (view) => view.state === 'live');

    const hungUp = await post('/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
    expect(hungUp.body).toMatchObject({ code: 0, roomInstanceId, state: 'ended', reason: 'hangup_guest' });
    const settled = await anchorApp.next('call:update', (view) => view.state === 'settled');
    expect(settled).toMatchObject({ reason: 'hangup_guest', minutes: 1, endedAt: expect.any(Number) });

    // Both are free again.
    const status = await post('/app/live/getMasterInfo', { token: guest.token, masterId: anchor.userId });
    expect(status.body).toMatchObject({ liveStatus: 3, unitPrice: '30积分', unitPriceDiamond: '60钻石' });
  });

  it('lets the guest cancel while it rings, and the anchor decline', async () => {
    const { guest, anchor } = await pair();
    const anchorApp = await client(anchor.token);
    const first = await post('/app/live/callGirl', { token: guest.token, targetUserId: anchor.userId });
    const cancelled = await post('/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
    expect(cancelled.body).toMatchObject({
      code: 0,
      reason: 'cancelled',
      roomInstanceId: first.body.roomInstanceId,
    });
    await anchorApp.next(
      'call:update',
      (view) => view.roomInstanceId === first.body.roomInstanceId && view.reason === 'cancelled',
    );

    await eventually(
      async () =>
        (await post('/app/live/callGirl', { token: guest.token, targetUserId: anchor.userId })).body.code ===
        0,
    );
    const declined = await post('/app/live/hangUpMan', { token: anchor.token, targetUserId: guest.userId });
    expect(declined.body).toMatchObject({ code: 0, reason: 'refused', matchStatus: 3 });
  });

  it('ends an unanswered call as missed after the ring timeout, and tells both apps', async () => {
    const { guest, anchor } = await pair();
    const guestApp = await client(guest.token);
    const applied = await post('/app/live/callApplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
    });
    const missed = await guestApp.next(
      'call:update',
      (view) => view.roomInstanceId === applied.body.roomInstanceId && view.state === 'settled',
      5_000,
    );
    expect(missed).toMatchObject({ reason: 'missed', matchStatus: 3, minutes: 0 });
    const lateAccept = await post('/weapp/live_room/create_room', {
      token: anchor.token,
      guestId: guest.userId,
    });
    expect(lateAccept.status).toBe(409);
  });
});

describe('anchor calls guest (女找男)', () => {
  it('rings the guest, and a polling-only anchor sees matchStatus 1 after he agrees, then goes live', async () => {
    const { guest, anchor } = await pair();
    const guestApp = await client(guest.token);
    const applied = await post('/app/live/callApplyMan', { token: anchor.token, targetUserId: guest.userId });
    expect(applied.body).toMatchObject({ code: 0, state: 'ringing', matchStatus: 2 });
    const roomInstanceId = applied.body.roomInstanceId;
    const incoming = await guestApp.next('call:update', (view) => view.roomInstanceId === roomInstanceId);
    expect(incoming).toMatchObject({ state: 'ringing', initiator: 'anchor', anchorId: anchor.userId });

    const waiting = await post('/app/live/getMatchInfo', { token: anchor.token, targetUserId: guest.userId });
    expect(waiting.body).toMatchObject({ code: 0, matchStatus: 2, roomInstanceId });
    const early = await post('/app/live/startCall', { token: anchor.token, targetUserId: guest.userId });
    expect(early.status).toBe(409);

    const reply = await post('/app/live/callReplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
      reply: 1,
    });
    expect(reply.body).toMatchObject({ code: 0, matchStatus: 1, state: 'accepted', roomInstanceId });
    const agreed = await post('/app/live/getMatchInfo', { token: anchor.token, targetUserId: guest.userId });
    expect(agreed.body).toMatchObject({ code: 0, matchStatus: 1, roomInstanceId });

    const started = await post('/app/live/startCall', { token: anchor.token, targetUserId: guest.userId });
    expect(started.body).toMatchObject({ state: 'live' });
    await guestApp.next('call:update', (view) => view.state === 'live');
    const ended = await post('/app/live/hangUpMan', { token: anchor.token, targetUserId: guest.userId });
    expect(ended.body).toMatchObject({ reason: 'hangup_anchor' });
    await guestApp.next('call:update', (view) => view.state === 'settled');
  });

  it('shows matchStatus 3 to the anchor when the guest refuses', async () => {
    const { guest, anchor } = await pair();
    await post('/app/live/callApplyMan', { token: anchor.token, targetUserId: guest.userId });
    const refused = await post('/app/live/callReplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
      reply: 2,
    });
    expect(refused.body).toMatchObject({ code: 0, matchStatus: 3, reason: 'refused' });
    const polled = await post('/app/live/getMatchInfo', { token: anchor.token, targetUserId: guest.userId });
    expect(polled.body.matchStatus).toBe(3);
  });
});

describe('presence', () => {
  it('reports a guest online while his socket is connected, busy in a call, offline otherwise', async () => {
    const { guest, anchor } = await pair();
    const status = async () =>
      (await post('/app/live/getGuestCurrentUserInfo', { token: anchor.token, guestId: guest.userId })).body
        .onlineStatus;
    expect(await status()).toBe(1);
    const guestApp = await client(guest.token);
    await eventually(async () => (await status()) === 3);
    const list = await post('/app/user/getGuestList', { token: anchor.token });
    expect(list.body.itemList).toContainEqual({
      userId: guest.userId,
      nickname: 'Dawei',
      headImg: '',
      age: 31,
    });

    await post('/app/live/callApplyMan', { token: anchor.token, targetUserId: guest.userId });
    expect(await status()).toBe(4);
    const whileBusy = await post('/app/user/getGuestList', { token: anchor.token });
    expect(whileBusy.body.itemList.map((item: { userId: number }) => item.userId)).not.toContain(
      guest.userId,
    );
    await post('/app/live/hangUpMan', { token: anchor.token, targetUserId: guest.userId });
    guestApp.close();
  });

  it('hides a guest who set display 1 from the guest list', async () => {
    const { guest, anchor } = await pair();
    await client(guest.token);
    await post('/app/user/updateDisplay', { token: guest.token, display: 1 });
    const list = await post('/app/user/getGuestList', { token: anchor.token });
    expect(list.body.itemList.map((item: { userId: number }) => item.userId)).not.toContain(guest.userId);
  });

  it('ends a live call when a party stays disconnected past the grace period, but not after a quick return', async () => {
    const { guest, anchor } = await pair();
    let guestApp = await client(guest.token);
    const anchorApp = await client(anchor.token);
    const applied = await post('/app/live/callApplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
    });
    await post('/app/live/startCall', { token: anchor.token, targetUserId: guest.userId });

    guestApp.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    guestApp = await client(guest.token);
    const synced = await guestApp.next(
      'call:update',
      (view) => view.roomInstanceId === applied.body.roomInstanceId,
    );
    expect(synced.state).toBe('live');
    const viaAck = await guestApp.socket.emitWithAck('call:sync');
    expect(viaAck).toMatchObject({ roomInstanceId: applied.body.roomInstanceId, state: 'live' });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(
      (await post('/app/live/getMatchInfo', { token: anchor.token, targetUserId: guest.userId })).body.state,
    ).toBe('live');

    guestApp.close();
    const ended = await anchorApp.next('call:update', (view) => view.reason === 'disconnect', 5_000);
    expect(ended.roomInstanceId).toBe(applied.body.roomInstanceId);
  });
});

describe('errors', () => {
  it('answers busy, banned, unknown, wrong-role and malformed requests with the documented envelope', async () => {
    const { guest, anchor } = await pair();
    const other = await server.createUser({ role: 'guest', diamond: 100 });
    await post('/app/live/callApplyGirl', { token: guest.token, targetUserId: anchor.userId });

    const busy = await post('/app/live/callApplyGirl', { token: other.token, targetUserId: anchor.userId });
    expect(busy).toMatchObject({ status: 409, body: { code: 409 } });
    expect(busy.body.message).toContain('busy');

    const unknown = await post('/app/live/callApplyGirl', { token: other.token, targetUserId: 99_999_999 });
    expect(unknown).toMatchObject({ status: 404, body: { code: 404, field: 'targetUserId' } });
    const notAnAnchor = await post('/app/live/callApplyGirl', {
      token: other.token,
      targetUserId: guest.userId,
    });
    expect(notAnAnchor.status).toBe(404);

    const wrongRole = await post('/app/live/callApplyMan', {
      token: other.token,
      targetUserId: guest.userId,
    });
    expect(wrongRole).toMatchObject({ status: 403, body: { code: 403 } });
    const malformed = await post('/app/live/callApplyGirl', { token: other.token, targetUserId: 'abc' });
    expect(malformed).toMatchObject({ status: 400, body: { code: 400, field: 'targetUserId' } });
    const stranger = await post('/app/live/hangUpGirl', { token: other.token, targetUserId: anchor.userId });
    expect(stranger).toMatchObject({ status: 409, body: { code: 409 } });

    const bannedAnchor = await server.createUser({ role: 'anchor' });
    const db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    await db.query(`update users set ban_state = 'account' where id = $1`, [bannedAnchor.userId]);
    await db.end();
    const banned = await post('/app/live/callApplyGirl', {
      token: other.token,
      targetUserId: bannedAnchor.userId,
    });
    expect(banned).toMatchObject({ status: 403, body: { code: 403 } });
    const bannedCaller = await post('/app/live/callApplyMan', {
      token: bannedAnchor.token,
      targetUserId: other.userId,
    });
    expect(bannedCaller.status).toBe(403);
  });

  it('refuses to start a call the guest cannot pay for with 402', async () => {
    const { guest, anchor } = await pair(10);
    await post('/app/live/callApplyGirl', { token: guest.token, targetUserId: anchor.userId });
    const start = await post('/app/live/startCall', { token: anchor.token, targetUserId: guest.userId });
    expect(start).toMatchObject({ status: 402, body: { code: 402 } });
  });
});
