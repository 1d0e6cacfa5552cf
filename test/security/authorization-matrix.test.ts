import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.js';

/**
 * Every endpoint × (no token, bad token, wrong role, wrong party, banned user). The first two come
 * from the OpenAPI document, so a new endpoint is covered without editing this file; roles, parties
 * and bans are the table below.
 */
type Role = 'guest' | 'anchor' | 'matchmaker';
let server: TestServer;
const users = {} as Record<
  Role | 'bannedGuest' | 'bannedAnchor' | 'otherGuest' | 'otherAnchor',
  { userId: number; token: string }
>;
let openRoutes: { method: string; path: string }[] = [];
let cases = 0;

/** Endpoints that answer without a token (login, sign-up, WeChat's and Tencent IM's callbacks, operations). */
const PUBLIC = new Set([
  'POST /wx/api/qlive/qlive_user/login/',
  'POST /wx/api/qlive/qlive_user/',
  'POST /wx/api/qlive/qlive_pay/notify/',
  // Tencent IM's callbacks: checked by SdkAppid and, with a callback token, by Sign.
  'POST /wx/api/qlive/im_notify/',
  'POST /app/login/wechatLogin',
  // A mini-program build asks for its feature switches before anyone signs in.
  'POST /app/login/weChatVersion',
  'GET /healthz',
  // RoomService login checks a userSig instead (test/e2e/roomservice).
  'POST /weapp/live_room/login',
  'POST /weapp/double_room/login',
  'POST /weapp/multi_room/login',
]);

/** Paid-call endpoints that only one role may call. */
const ROLE_ONLY: Record<string, Role> = {
  '/app/live/callGirl': 'guest',
  '/app/live/callApplyGirl': 'guest',
  '/app/live/callReplyGirl': 'guest',
  '/app/live/hangUpGirl': 'guest',
  '/app/live/sendGift': 'guest',
  '/app/live/getCallResultGuest': 'guest',
  '/app/user/updateDisplay': 'guest',
  '/app/pay/createOrder': 'guest',
  '/app/live/callApplyMan': 'anchor',
  '/app/live/startCall': 'anchor',
  '/app/live/hangUpMan': 'anchor',
  '/app/live/getMatchInfo': 'anchor',
  '/app/live/getCallResultMaster': 'anchor',
  '/app/live/getMyIncome': 'anchor',
  '/app/user/updateUnitPrice': 'anchor',
  '/weapp/live_room/create_room': 'anchor',
};

beforeAll(async () => {
  server = await startTestServer('authz_matrix', { RATE_LIMIT_PER_MINUTE: '100000' });
  users.guest = await server.createUser({ role: 'guest', diamond: 1000 });
  users.anchor = await server.createUser({ role: 'anchor' });
  users.matchmaker = await server.createUser({ role: 'matchmaker' });
  users.otherGuest = await server.createUser({ role: 'guest', diamond: 1000 });
  users.otherAnchor = await server.createUser({ role: 'anchor' });
  users.bannedGuest = await server.createUser({ role: 'guest', diamond: 1000 });
  users.bannedAnchor = await server.createUser({ role: 'anchor' });
  const db = new pg.Client({ connectionString: server.databaseUrl });
  await db.connect();
  await db.query(`update users set ban_state = 'account', ban_message = 'spam' where id = any($1)`, [
    [users.bannedGuest.userId, users.bannedAnchor.userId],
  ]);
  await db.end();
  const openapi = await server.request('GET', '/docs/json');
  openRoutes = Object.entries(openapi.body.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((method) => ['get', 'post'].includes(method))
        .map((method) => ({ method: method.toUpperCase(), path })),
    )
    .filter((route) => !route.path.startsWith('/admin') && !PUBLIC.has(`${route.method} ${route.path}`));
});
afterAll(async () => {
  console.log(`authorization matrix: ${cases} requests over ${openRoutes.length} endpoints`);
  await server.close();
});

function send(method: string, path: string, token: string | undefined, fields: Record<string, unknown> = {}) {
  cases++;
  if (path.startsWith('/wx/api/qlive')) {
    const headers: Record<string, string> = token ? { authorization: `QLiveToken ${token}` } : {};
    const query = new URLSearchParams(
      Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString();
    return method === 'GET'
      ? server.request('GET', `${path}?${query}`, { headers })
      : server.request('POST', path, { body: fields, headers });
  }
  return server.request(method, path, { body: token ? { ...fields, token } : fields });
}

describe('authorization matrix', () => {
  it('answers 401 on every endpoint without a token or with an unknown one', async () => {
    expect(openRoutes.length).toBeGreaterThan(40);
    for (const route of openRoutes) {
      for (const token of [undefined, '0123456789abcdef0123456789abcdef01234567']) {
        const answer = await send(route.method, route.path, token);
        expect(answer.status, `${route.method} ${route.path} with ${token ? 'a bad' : 'no'} token`).toBe(401);
      }
    }
  });

  it('answers 403 to the wrong role on every role-only endpoint', async () => {
    for (const [path, role] of Object.entries(ROLE_ONLY)) {
      for (const wrong of (['guest', 'anchor', 'matchmaker'] as const).filter(
        (candidate) => candidate !== role,
      )) {
        const answer = await send('POST', path, users[wrong].token, {
          targetUserId: users.otherAnchor.userId,
          guestId: users.otherGuest.userId,
          roomInstanceId: 1,
          giftId: 1,
          unitPrice: 10,
          display: 0,
          reply: 1,
          packageId: 1,
        });
        expect(answer.status, `${path} by a ${wrong}`).toBe(403);
      }
    }
    // QLive's original server answers this one 400 "The user's identity is incorrect" (spec/README.md).
    const notMatchmaker = await send('POST', '/wx/api/qlive/qlive_room/matchmaker_enter/', users.guest.token);
    expect(notMatchmaker).toMatchObject({
      status: 400,
      body: { detail: "The user's identity is incorrect" },
    });
  });

  it('keeps a user out of calls and records that are not his (wrong party)', async () => {
    const applied = await send('POST', '/app/live/callApplyGirl', users.guest.token, {
      targetUserId: users.anchor.userId,
    });
    expect(applied.status).toBe(200);
    const callId = applied.body.roomInstanceId;
    // The anchor opens the call's room (accepting it); only the two parties get push URLs in it.
    const room = await send('POST', '/weapp/live_room/create_room', users.anchor.token, {
      guestId: users.guest.userId,
    });
    expect(room.status).toBe(200);
    const strangers = [
      send('POST', '/app/live/hangUpGirl', users.otherGuest.token, { targetUserId: users.anchor.userId }),
      send('POST', '/app/live/hangUpMan', users.otherAnchor.token, { targetUserId: users.guest.userId }),
      send('POST', '/app/live/startCall', users.otherAnchor.token, { targetUserId: users.guest.userId }),
      send('POST', '/app/live/callReplyGirl', users.otherGuest.token, {
        targetUserId: users.anchor.userId,
        reply: 1,
      }),
      send('POST', '/app/live/getMatchInfo', users.otherAnchor.token, { targetUserId: users.guest.userId }),
      send('POST', '/weapp/live_room/get_push_url', users.otherGuest.token, {
        userID: String(users.otherGuest.userId),
        roomID: room.body.roomID,
      }),
    ];
    for (const answer of await Promise.all(strangers)) expect([403, 404, 409]).toContain(answer.status);
    // A token that is not the userID's own is refused outright.
    const impostor = await send('POST', '/weapp/live_room/get_push_url', users.otherGuest.token, {
      userID: String(users.guest.userId),
      roomID: room.body.roomID,
    });
    expect(impostor.status).toBe(401);
    await send('POST', '/app/live/hangUpGirl', users.guest.token, { targetUserId: users.anchor.userId });
    for (const [path, token] of [
      ['/app/live/getCallResultGuest', users.otherGuest.token],
      ['/app/live/getCallResultMaster', users.otherAnchor.token],
      ['/app/live/getCallRecordDesc', users.otherAnchor.token],
    ] as const) {
      const answer = await send('POST', path, token, { roomInstanceId: callId, recordId: callId });
      expect([403, 404], path).toContain(answer.status);
    }
    // The parties themselves are still answered.
    const state = await send('POST', '/app/live/getMatchInfo', users.anchor.token, {
      targetUserId: users.guest.userId,
    });
    expect(state.status).toBe(200);
  });

  it('refuses a banned user everything that starts a call or moves money, with 403', async () => {
    const guestActions = [
      send('POST', '/app/live/callApplyGirl', users.bannedGuest.token, {
        targetUserId: users.otherAnchor.userId,
      }),
      send('POST', '/app/live/callGirl', users.bannedGuest.token, { targetUserId: users.otherAnchor.userId }),
    ];
    const anchorActions = [
      send('POST', '/app/live/callApplyMan', users.bannedAnchor.token, {
        targetUserId: users.otherGuest.userId,
      }),
      send('POST', '/weapp/live_room/create_room', users.bannedAnchor.token, {}),
    ];
    for (const answer of await Promise.all([...guestActions, ...anchorActions]))
      expect(answer.status).toBe(403);
    const calledBanned = await send('POST', '/app/live/callApplyGirl', users.otherGuest.token, {
      targetUserId: users.bannedAnchor.userId,
    });
    expect(calledBanned.status).toBe(403);
    // The moderation endpoints still answer him, so the app can say why.
    const exit = await send('POST', '/app/live/getExitMessage', users.bannedAnchor.token);
    expect(exit.status).toBe(200);
  });
});
