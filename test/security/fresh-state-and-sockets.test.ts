import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userRoom } from '../../src/realtime/events.js';
import { issueToken } from '../../src/users/tokens.js';
import { acceptCall, ringingCall } from '../e2e/moderation/call-driver.js';
import { startTestServer, type TestServer } from '../helpers/app.js';
import { eventually } from '../helpers/clients.js';

// Two servers on one database and Redis prefix, as two processes behind a load balancer. The token
// cache is set long on purpose: nothing a write changes may wait for it.
const env = { AUTH_CACHE_MS: '60000' };
let first: TestServer;
let second: TestServer;
const sockets: Socket[] = [];

beforeAll(async () => {
  first = await startTestServer('fresh_state', env);
  second = await startTestServer('fresh_state', env, {
    databaseUrl: first.databaseUrl,
    redisPrefix: first.redisPrefix,
    adminToken: first.adminToken,
  });
});
afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await second.close();
  await first.close();
});

const post = (server: TestServer, path: string, body: Record<string, unknown>) =>
  server.request('POST', path, { body });
const qlive = (server: TestServer, method: string, path: string, token: string, body?: unknown) =>
  server.request(method, `/wx/api/qlive${path}`, { headers: { authorization: `QLiveToken ${token}` }, body });
const asAdmin = () => ({ authorization: `Bearer ${first.adminToken}` });

function open(server: TestServer, auth: Record<string, unknown>): Socket {
  const socket = connect(server.url, { auth, transports: ['websocket'], reconnection: false });
  sockets.push(socket);
  return socket;
}

async function connected(socket: Socket): Promise<Socket> {
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  // The server joins the socket's rooms right after the handshake.
  await new Promise((resolve) => setTimeout(resolve, 50));
  return socket;
}

describe('a write is seen by the very next read, in the same process and in another', () => {
  it('updateUnitPrice: the new price in getCurrentUserInfo and getMasterInfo at once, on both servers', async () => {
    const anchor = await first.createUser({ role: 'anchor', unitPrice: 30 });
    const guest = await first.createUser({ role: 'guest' });
    // Both servers have the anchor's token cached before the write.
    for (const server of [first, second])
      expect(
        (await post(server, '/app/user/getCurrentUserInfo', { token: anchor.token })).body.unitPrice,
      ).toBe('30');

    expect(
      (await post(first, '/app/user/updateUnitPrice', { token: anchor.token, unitPrice: 40 })).status,
    ).toBe(200);
    for (const server of [first, second]) {
      const own = await post(server, '/app/user/getCurrentUserInfo', { token: anchor.token });
      expect(own.body.unitPrice).toBe('40');
      const seen = await post(server, '/app/live/getMasterInfo', {
        token: guest.token,
        masterId: anchor.userId,
      });
      expect(seen.body.unitPrice).toBe('40积分');
    }
  });

  it('updateDisplay: the flag in getCurrentUserInfo at once, on both servers', async () => {
    const guest = await first.createUser({ role: 'guest' });
    for (const server of [first, second])
      expect((await post(server, '/app/user/getCurrentUserInfo', { token: guest.token })).body.display).toBe(
        0,
      );
    await post(second, '/app/user/updateDisplay', { token: guest.token, display: 1 });
    for (const server of [first, second])
      expect((await post(server, '/app/user/getCurrentUserInfo', { token: guest.token })).body.display).toBe(
        1,
      );
  });

  it('QLive update_userinfo: the new profile in get_userinfo at once, on both servers', async () => {
    const user = await first.createUser({ role: 'guest', nickname: 'before' });
    for (const server of [first, second])
      expect((await qlive(server, 'GET', '/qlive_user/get_userinfo/', user.token)).body.nickname).toBe(
        'before',
      );
    await qlive(first, 'POST', '/qlive_user/update_userinfo/', user.token, {
      nickname: 'after',
      height: 180,
    });
    for (const server of [first, second]) {
      const info = await qlive(server, 'GET', '/qlive_user/get_userinfo/', user.token);
      expect(info.body).toMatchObject({ nickname: 'after', height: 180 });
    }
  });

  it('a ban and an unban are obeyed by the next request on the other server', async () => {
    const guest = await first.createUser({ role: 'guest', diamond: 100 });
    const anchor = await first.createUser({ role: 'anchor' });
    const apply = () =>
      post(second, '/app/live/callApplyGirl', { token: guest.token, targetUserId: anchor.userId });
    const warmed = await post(second, '/app/user/getCurrentUserInfo', { token: guest.token });
    expect(warmed.status).toBe(200);

    await first.request('POST', `/admin/api/users/${guest.userId}/ban`, {
      headers: asAdmin(),
      body: { type: 'account', message: 'spam' },
    });
    expect((await apply()).status).toBe(403);
    await first.request('POST', `/admin/api/users/${guest.userId}/unban`, { headers: asAdmin(), body: {} });
    const after = await apply();
    expect(after.status).toBe(200);
    await post(second, '/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
  });
});

describe('sockets follow logout and bans everywhere', () => {
  it('a logout on one server refuses the token on the other at once and closes its sockets there', async () => {
    const user = await first.createUser({ role: 'guest' });
    const socket = await connected(open(second, { token: user.token }));
    const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    expect((await qlive(second, 'GET', '/qlive_user/get_userinfo/', user.token)).status).toBe(200);

    expect((await qlive(first, 'GET', '/qlive_user/logout/', user.token)).status).toBe(200);
    expect((await qlive(second, 'GET', '/qlive_user/get_userinfo/', user.token)).status).toBe(401);
    expect((await post(second, '/app/user/getCurrentUserInfo', { token: user.token })).status).toBe(401);
    await expect(closed).resolves.toBe('io server disconnect');
  });

  it('a logout closes only the sockets of that token, not those of the same user on another device', async () => {
    const user = await first.createUser({ role: 'guest' });
    const otherDevice = await issueToken(first.context.database.db, user.userId, 60_000);
    const other = await connected(open(second, { token: otherDevice }));
    const mine = await connected(open(second, { token: user.token }));
    const closed = new Promise<string>((resolve) => mine.once('disconnect', resolve));
    await qlive(first, 'GET', '/qlive_user/logout/', user.token);
    await expect(closed).resolves.toBe('io server disconnect');
    expect(other.connected).toBe(true);
    expect((await qlive(second, 'GET', '/qlive_user/get_userinfo/', otherDevice)).status).toBe(200);
  });

  it('an account ban closes the user’s sockets on every server and refuses new ones', async () => {
    const guest = await first.createUser({ role: 'guest' });
    const onFirst = await connected(open(first, { token: guest.token }));
    const onSecond = await connected(open(second, { token: guest.token }));
    const closed = [onFirst, onSecond].map(
      (socket) => new Promise<string>((resolve) => socket.once('disconnect', resolve)),
    );
    await first.request('POST', `/admin/api/users/${guest.userId}/ban`, {
      headers: asAdmin(),
      body: { type: 'account', message: 'fraud' },
    });
    await expect(Promise.all(closed)).resolves.toEqual(['io server disconnect', 'io server disconnect']);

    const again = open(second, { token: guest.token });
    const refused = await new Promise<Error>((resolve) => again.once('connect_error', resolve));
    expect(refused.message).toBe('banned');
  });
});

describe('Socket.IO connection state recovery', () => {
  /** Opens a socket, lets it receive one push, then drops the connection without a goodbye. */
  async function droppedSession(server: TestServer, token: string, userId: number) {
    const socket = await connected(open(server, { token }));
    const pushed = new Promise((resolve) => socket.once('user:warn', resolve));
    server.app.io.to(userRoom(userId)).emit('user:warn', { message: 'before the drop' });
    await pushed;
    const session = socket as unknown as { _pid?: string; _lastOffset?: string; id?: string };
    const { _pid: pid, _lastOffset: offset, id } = session;
    expect(pid).toEqual(expect.any(String));
    socket.io.engine.close();
    // While the session is away, a push to its user is kept for its recovery.
    await eventually(async () => !socket.connected);
    await new Promise((resolve) => setTimeout(resolve, 100));
    server.app.io.to(userRoom(userId)).emit('user:warn', { message: 'missed while away' });
    return { pid: pid as string, offset: offset as string, id };
  }

  it('refuses to hand a session, its rooms and its missed pushes to another user’s token', async () => {
    const victim = await first.createUser({ role: 'guest' });
    const attacker = await first.createUser({ role: 'guest' });
    const session = await droppedSession(first, victim.token, victim.userId);

    const socket = open(first, { token: attacker.token, pid: session.pid, offset: session.offset });
    const received: unknown[] = [];
    socket.on('user:warn', (payload) => received.push(payload));
    await connected(socket);
    // A restored session keeps its id; the socket.io client cannot tell, as it never had that pid.
    expect(socket.id).not.toBe(session.id);
    first.app.io.to(userRoom(victim.userId)).emit('user:warn', { message: 'for the victim only' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toEqual([]);
  });

  it('recovers the session, with what it missed, for its own user', async () => {
    const user = await first.createUser({ role: 'guest' });
    const session = await droppedSession(first, user.token, user.userId);
    const socket = open(first, { token: user.token, pid: session.pid, offset: session.offset });
    const received: unknown[] = [];
    socket.on('user:warn', (payload) => received.push(payload));
    await connected(socket);
    expect(socket.id).toBe(session.id);
    expect(received).toEqual([{ message: 'missed while away' }]);
  });
});

describe('startCall: the first minute’s charge decides', () => {
  it('a guest who cannot pay the first minute gets 402 and the call does not go live; once he can, it does', async () => {
    // Price 30 points = 60 diamonds a minute; the guest has 59.
    const call = await ringingCall(first, 59);
    await acceptCall(first, call);
    const start = () =>
      post(second, '/app/live/startCall', { token: call.anchor.token, targetUserId: call.guest.userId });

    const refused = await start();
    expect(refused.status).toBe(402);
    expect(refused.body.code).toBe(402);
    const match = await post(first, '/app/live/getMatchInfo', {
      token: call.anchor.token,
      targetUserId: call.guest.userId,
    });
    expect(match.body.state).not.toBe('live');
    expect(
      (await post(first, '/app/user/getCurrentUserInfo', { token: call.guest.token })).body.diamond,
    ).toBe('59');

    await first.request('POST', `/admin/api/users/${call.guest.userId}/grants`, {
      headers: { ...asAdmin(), 'idempotency-key': `topup-${call.callId}` },
      body: { currency: 'diamond', amount: 1 },
    });
    const started = await start();
    expect(started.status).toBe(200);
    expect(started.body.code).toBe(0);
    expect(
      (await post(first, '/app/user/getCurrentUserInfo', { token: call.guest.token })).body.diamond,
    ).toBe('0');
    await post(first, '/app/live/hangUpMan', { token: call.anchor.token, targetUserId: call.guest.userId });
  });
});

describe('a ban stops gift money both ways', () => {
  async function bannedAnd(type: 'account' | 'stream', userId: number) {
    const banned = await first.request('POST', `/admin/api/users/${userId}/ban`, {
      headers: asAdmin(),
      body: { type, message: 'banned' },
    });
    expect(banned.status).toBe(200);
  }
  async function giftCosting(cost: number): Promise<number> {
    const created = await first.request('POST', '/admin/api/gifts', {
      headers: asAdmin(),
      body: { name: 'rose', imgUrl: 'https://example.com/rose.png', cost },
    });
    return created.body.giftId;
  }
  const wallet = async (token: string) =>
    (await qlive(first, 'GET', '/qlive_user/get_userinfo/', token)).body;

  it('QLive push_gift: an account-banned sender is refused and nothing moves', async () => {
    const giftId = await giftCosting(10);
    const sender = await first.createUser({ role: 'guest', gold: 100 });
    const receiver = await first.createUser({ role: 'guest' });
    await bannedAnd('account', sender.userId);
    const sent = await qlive(
      second,
      'GET',
      `/qlive_gift/push_gift/?user_id=${receiver.userId}&gift_id=${giftId}&num=1`,
      sender.token,
    );
    expect(sent.status).toBe(403);
    expect(sent.body.detail).toMatch(/banned/);
    expect((await wallet(sender.token)).gold).toBe(100);
  });

  it('QLive push_gift: a gift to a banned user is refused and nothing moves', async () => {
    const giftId = await giftCosting(10);
    const sender = await first.createUser({ role: 'guest', gold: 100 });
    const receiver = await first.createUser({ role: 'guest' });
    await bannedAnd('stream', receiver.userId);
    const sent = await qlive(
      second,
      'GET',
      `/qlive_gift/push_gift/?user_id=${receiver.userId}&gift_id=${giftId}&num=1`,
      sender.token,
    );
    expect(sent.status).toBe(403);
    expect((await wallet(sender.token)).gold).toBe(100);
  });

  it('paid-call sendGift: a gift to a banned anchor is refused and nothing moves', async () => {
    const giftId = await giftCosting(10);
    const guest = await first.createUser({ role: 'guest', diamond: 100 });
    const anchor = await first.createUser({ role: 'anchor' });
    await bannedAnd('stream', anchor.userId);
    const sent = await post(second, '/app/live/sendGift', {
      token: guest.token,
      giftId,
      amount: 1,
      targetUserId: anchor.userId,
    });
    expect(sent.status).toBe(403);
    expect((await post(first, '/app/user/getCurrentUserInfo', { token: guest.token })).body.diamond).toBe(
      '100',
    );
  });
});
