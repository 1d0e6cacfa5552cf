import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveCall } from '../../e2e/moderation/call-driver.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { connectClient, eventually, type TestClient } from '../../helpers/clients.js';

let server: TestServer;
const clients: TestClient[] = [];
beforeAll(async () => {
  server = await startTestServer('admin_users');
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server.close();
});

const asAdmin = () => ({ authorization: `Bearer ${server.adminToken}` });
const get = (path: string) => server.request('GET', `/admin/api${path}`, { headers: asAdmin() });
const post = (path: string, body?: unknown) =>
  server.request('POST', `/admin/api${path}`, { headers: asAdmin(), body: body ?? {} });
const app = (path: string, body: Record<string, unknown>) => server.request('POST', path, { body });

describe('admin user lookup', () => {
  it('shows presence and every open socket, and the recent recharge orders', async () => {
    const guest = await server.createUser({ role: 'guest', nickname: 'Sockets' });
    const offline = (await get(`/users/${guest.userId}`)).body;
    expect(offline).toMatchObject({
      presence: { status: 'offline', sockets: 0 },
      sockets: [],
      recentOrders: [],
    });

    const first = await connectClient(server, guest.token);
    const second = await connectClient(server, guest.token);
    clients.push(first, second);
    const online = (await get(`/users/${guest.userId}`)).body;
    expect(online.presence).toEqual({ status: 'online', sockets: 2 });
    expect(online.sockets.map((socket: { id: string }) => socket.id).sort()).toEqual(
      [first.socket.id, second.socket.id].sort(),
    );
    expect(online.sockets[0]).toMatchObject({
      address: expect.any(String),
      connectedAt: expect.any(Number),
      rooms: [`user:${guest.userId}`],
    });
    second.close();
    await eventually(async () =>
      (await get(`/users/${guest.userId}`)).body.sockets.length === 1 ? true : null,
    );

    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(
        "insert into recharge_packages (currency, amount, price_fen) values ('diamond', 600, 600) returning id",
      );
      await client.query(
        `insert into recharge_orders (out_trade_no, user_id, package_id, currency, amount, price_fen, status)
         values ('T-admin-1', $1, $2, 'diamond', 600, 600, 'pending')`,
        [guest.userId, rows[0].id],
      );
    } finally {
      await client.end();
    }
    expect((await get(`/users/${guest.userId}`)).body.recentOrders).toEqual([
      expect.objectContaining({
        outTradeNo: 'T-admin-1',
        amount: 600,
        currency: 'diamond',
        status: 'pending',
        paidAt: null,
      }),
    ]);
  });

  it('shows profile, balance per currency, the current call and recent calls, and never a token', async () => {
    const call = await liveCall(server);
    const during = await get(`/users/${call.guest.userId}`);
    expect(during.status).toBe(200);
    expect(during.body).toMatchObject({
      profile: { userId: call.guest.userId, role: 'guest', nickname: 'Dawei', age: 31, wechatBound: false },
      balances: { diamond: 940, point: 0, gold: 0, income: 0 },
      ban: { state: 'none', message: '' },
      warnMessage: '',
      activeCallId: call.callId,
      activeRoomId: null,
      recentCalls: [],
    });

    await post(`/calls/${call.callId}/hangup`);
    const after = await eventually(async () => {
      const user = await get(`/users/${call.anchor.userId}`);
      return user.body.recentCalls.length === 1 ? user.body : null;
    });
    expect(after).toMatchObject({
      balances: { point: 30 },
      activeCallId: null,
      recentCalls: [
        {
          callId: Number(call.callId),
          role: 'anchor',
          otherUserId: call.guest.userId,
          status: 2,
          endReason: 'hangup_server',
          minutes: 1,
          diamonds: 60,
          points: 30,
          banTitle: null,
          banStreamStatus: null,
        },
      ],
    });
    for (const answer of [
      during,
      await get(`/users/${call.anchor.userId}`),
      await get(`/machines/call/${call.callId}`),
    ]) {
      const text = JSON.stringify(answer.body);
      expect(text).not.toContain(call.guest.token);
      expect(text).not.toContain(call.anchor.token);
      expect(text).not.toContain(server.adminToken);
    }

    const unknown = await get('/users/99999999');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: 'not_found', field: 'id' });
    expect((await get('/users/abc')).status).toBe(400);
  });
});

describe('warnings', () => {
  it('stores the warning, pushes user:warn at once, and getWarnMessage answers it once', async () => {
    const anchor = await server.createUser({ role: 'anchor', nickname: 'Lili' });
    const socket = await connectClient(server, anchor.token);
    clients.push(socket);

    const warned = await post(`/users/${anchor.userId}/warn`, { message: '请注意直播内容' });
    expect(warned.status).toBe(200);
    expect(warned.body).toMatchObject({
      userId: anchor.userId,
      warnMessage: '请注意直播内容',
      banState: 'none',
    });
    await expect(socket.next('user:warn')).resolves.toEqual({ message: '请注意直播内容' });
    expect((await get(`/users/${anchor.userId}`)).body.warnMessage).toBe('请注意直播内容');

    const first = await app('/app/live/getWarnMessage', { token: anchor.token });
    expect(first.body).toEqual({ code: 0, message: 'success', warnMessage: '请注意直播内容' });
    const second = await app('/app/live/getWarnMessage', { token: anchor.token });
    expect(second.body).toEqual({ code: 0, message: 'success', warnMessage: '' });

    const empty = await post(`/users/${anchor.userId}/warn`, { message: '' });
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ error: 'bad_request', field: 'message' });
    expect((await post('/users/99999999/warn', { message: 'x' })).status).toBe(404);
    expect((await app('/app/live/getWarnMessage', {})).status).toBe(401);
  });
});

describe('bans', () => {
  it('bans and unbans, answers getExitMessage with the ban message, and records every action with the admin fingerprint', async () => {
    const anchor = await server.createUser({ role: 'anchor', nickname: 'Nana' });
    const banned = await post(`/users/${anchor.userId}/ban`, {
      type: 'stream',
      message: '直播内容违规，禁播7天',
    });
    expect(banned.status).toBe(200);
    expect(banned.body).toEqual({
      userId: anchor.userId,
      banState: 'stream',
      banMessage: '直播内容违规，禁播7天',
      warnMessage: '',
      call: null,
      room: null,
    });
    expect((await app('/app/live/getExitMessage', { token: anchor.token })).body).toEqual({
      code: 0,
      message: 'success',
      exitMessage: '直播内容违规，禁播7天',
    });
    expect((await get(`/users/${anchor.userId}`)).body.ban).toEqual({
      state: 'stream',
      message: '直播内容违规，禁播7天',
    });

    const unbanned = await post(`/users/${anchor.userId}/unban`);
    expect(unbanned.body).toMatchObject({ banState: 'none', banMessage: '' });
    expect((await app('/app/live/getExitMessage', { token: anchor.token })).body.exitMessage).toBe('');

    const lookup = await get(`/users/${anchor.userId}`);
    expect(lookup.body.adminActions.map((action: { action: string }) => action.action)).toEqual([
      'user.unban',
      'user.ban',
    ]);
    expect(lookup.body.adminActions[1]).toMatchObject({
      actor: expect.stringMatching(/^admin:[0-9a-f]{12}$/),
      targetKind: 'user',
      targetId: String(anchor.userId),
      payload: { type: 'stream', message: '直播内容违规，禁播7天' },
    });

    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    const rows = await client.query('select actor from admin_actions');
    await client.end();
    for (const row of rows.rows as { actor: string }[]) expect(row.actor).not.toContain(server.adminToken);

    const badType = await post(`/users/${anchor.userId}/ban`, { type: 'forever', message: 'x' });
    expect(badType.status).toBe(400);
    expect(badType.body).toMatchObject({ error: 'bad_request', field: 'type' });
    expect((await post('/users/99999999/ban', { type: 'account', message: 'x' })).status).toBe(404);
  });
});

describe('configs', () => {
  it('stores a config that fits its shape and refuses one that does not, naming the problem', async () => {
    const put = (key: string, value: unknown) =>
      server.request('PUT', `/admin/api/configs/${key}`, { headers: asAdmin(), body: { value } });
    const wrong = await put('share_info', { title: 42 });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: 'bad_request', field: 'value' });
    expect(wrong.body.message).toContain('share_info');

    const stored = await put('share_info', { title: '来聊天', imgUrl: 'https://example.com/s.png' });
    expect(stored.status).toBe(200);
    const listed = await get('/configs');
    expect(listed.body.configs).toEqual([
      expect.objectContaining({
        key: 'share_info',
        value: { title: '来聊天', imgUrl: 'https://example.com/s.png' },
      }),
    ]);
    expect((await put('Bad Key', 1)).status).toBe(400);
  });
});
