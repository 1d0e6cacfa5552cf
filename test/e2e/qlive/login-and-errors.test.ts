/**
 * WeChat sign-in for both apps, and the clear 4xx answers a client gets for what it should not do:
 * expired or reused codes, another app's data, roles, strangers in a room, pages past the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptUserData } from '../../helpers/fake-wechat-server.js';
import { type QliveHarness, startQliveHarness } from './qlive-harness.js';

let h: QliveHarness;

beforeAll(async () => {
  h = await startQliveHarness('qlive_login');
});
afterAll(async () => {
  await h.close();
});

const identity = () => ({
  openid: `o-${randomBytes(8).toString('hex')}`,
  sessionKey: randomBytes(16).toString('base64'),
});

function encrypted(
  user: { openid: string; sessionKey: string },
  data: Record<string, unknown>,
  appid = h.wechat.appId,
) {
  const iv = randomBytes(16).toString('base64');
  return {
    iv,
    encryptedData: encryptUserData({
      sessionKey: user.sessionKey,
      iv,
      data: { openId: user.openid, watermark: { appid, timestamp: 1_700_000_000 }, ...data },
    }),
  };
}

const login = (code: string, appId = h.wechat.appId) => h.post('/qlive_user/login/', null, { appId, code });

describe('QLive login and user creation', () => {
  it('refuses an expired, unknown or reused login code with a 400 naming the code', async () => {
    h.wechat.registerCode('expired-code', { errcode: 40029, errmsg: 'invalid code' });
    const expired = await login('expired-code');
    expect(expired).toMatchObject({
      status: 400,
      body: { detail: 'invalid WeChat login code', field: 'code' },
    });

    const user = identity();
    const code = h.code(user);
    expect((await login(code)).body.status).toBe(1);
    const reused = await login(code);
    expect(reused).toMatchObject({ status: 400, body: { field: 'code' } });
    expect(reused.body.detail).toContain('already been used');
  });

  it('refuses another mini-program’s appId', async () => {
    const wrong = await login(h.code(identity()), 'wxsomeoneelse');
    expect(wrong).toMatchObject({ status: 400, body: { field: 'appId' } });
  });

  it('creates a user from the login’s code once, or from a fresh code', async () => {
    const user = identity();
    const code = h.code(user);
    expect((await login(code)).body).toMatchObject({ status: 1, token: '', login_type: 0 });
    const created = await h.post('/qlive_user/', null, {
      appId: h.wechat.appId,
      code,
      ...encrypted(user, { nickName: 'Lin', gender: 2, avatarUrl: 'https://wx.qlogo.cn/lin' }),
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      token: expect.stringMatching(/^[0-9a-f]{40}$/),
      user_id: expect.stringMatching(/^\d+$/),
      user_sign: expect.any(String),
      sdk_app_id: expect.stringMatching(/^\d+$/),
    });
    const info = await h.get('/qlive_user/get_userinfo/', created.body.token);
    expect(info.body).toMatchObject({ nickname: 'Lin', gender: 2, face_url: 'https://wx.qlogo.cn/lin' });

    // The kept session was used up: the same code again goes to WeChat, which refuses it.
    const replay = await h.post('/qlive_user/', null, {
      appId: h.wechat.appId,
      code,
      ...encrypted(user, {}),
    });
    expect(replay).toMatchObject({ status: 400, body: { field: 'code' } });

    const newcomer = identity();
    const fresh = await h.post('/qlive_user/', null, {
      appId: h.wechat.appId,
      code: h.code(newcomer),
      ...encrypted(newcomer, { nickName: 'Zhao', gender: 1 }),
    });
    expect(fresh.status).toBe(200);
    // Creating an existing WeChat user again just signs him in.
    const twice = await h.post('/qlive_user/', null, {
      appId: h.wechat.appId,
      code: h.code(newcomer),
      ...encrypted(newcomer, { nickName: 'Zhao', gender: 1 }),
    });
    expect(twice.body.user_id).toBe(fresh.body.user_id);
  });

  it('refuses encrypted data of another app, of another user, or that does not decrypt', async () => {
    const user = identity();
    const create = (body: Record<string, string>) =>
      h.post('/qlive_user/', null, { appId: h.wechat.appId, code: h.code(user), ...body });
    const otherApp = await create(encrypted(user, {}, 'wxotherapp'));
    expect(otherApp).toMatchObject({ status: 400, body: { field: 'encryptedData' } });
    const otherUser = await create(encrypted(user, { openId: 'o-somebody-else' }));
    expect(otherUser).toMatchObject({ status: 400, body: { field: 'encryptedData' } });
    const garbage = await create({
      encryptedData: 'AAAAAAAAAAAAAAAAAAAAAA==',
      iv: randomBytes(16).toString('base64'),
    });
    expect(garbage).toMatchObject({ status: 400, body: { field: 'encryptedData' } });
    const missing = await h.post('/qlive_user/', null, { appId: h.wechat.appId, code: 'x' });
    expect(missing).toMatchObject({ status: 400, body: { field: 'encryptedData' } });
  });

  it('refuses a banned account at login', async () => {
    const user = await h.signUp({ nickName: 'banned', gender: 1 });
    const db = new pg.Client({ connectionString: h.server.databaseUrl });
    await db.connect();
    await db.query(`update users set ban_state = 'account' where id = $1`, [user.userId]);
    await db.end();
    expect((await login(h.code(user))).status).toBe(403);
  });
});

describe('paid-call WeChat login', () => {
  const wechatLogin = (body: Record<string, unknown>) =>
    h.server.request('POST', '/app/login/wechatLogin', { body });

  it('signs a guest up on the first login and in on the next, in the paid-call envelope', async () => {
    const user = identity();
    const first = await wechatLogin({
      code: h.code(user),
      role: 'guest',
      ...encrypted(user, { nickName: 'Hao' }),
    });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      code: 0,
      message: 'success',
      token: expect.stringMatching(/^[0-9a-f]{40}$/),
      userId: expect.any(Number),
      isNew: true,
    });
    const again = await wechatLogin({ code: h.code(user), role: 'guest' });
    expect(again.body).toMatchObject({ code: 0, userId: first.body.userId, isNew: false });
    const me = await h.server.request('POST', '/app/user/getCurrentUserInfo', {
      body: { token: again.body.token },
    });
    expect(me.body).toMatchObject({ code: 0, diamond: '0' });

    const asAnchor = await wechatLogin({ code: h.code(user), role: 'anchor' });
    expect(asAnchor).toMatchObject({ status: 403, body: { code: 403 } });
  });

  it('takes form bodies and refuses half an encrypted profile or an unknown role', async () => {
    const user = identity();
    const form = await h.server.request('POST', '/app/login/wechatLogin', {
      form: { code: h.code(user), role: 'anchor' },
    });
    expect(form.body).toMatchObject({ code: 0, isNew: true });
    const half = await wechatLogin({ code: h.code(identity()), role: 'guest', encryptedData: 'abc' });
    expect(half).toMatchObject({ status: 400, body: { code: 400, field: 'iv' } });
    const role = await wechatLogin({ code: h.code(identity()), role: 'matchmaker' });
    expect(role).toMatchObject({ status: 400, body: { code: 400, field: 'role' } });
  });
});

describe('rooms: what a client may not do', () => {
  it('answers strangers, wrong roles and unknown rooms with clear 4xx', async () => {
    const guest = await h.server.createUser({ role: 'guest', gender: 1 });
    const notMatchmaker = await h.post('/qlive_room/matchmaker_enter/', guest.token);
    expect(notMatchmaker).toMatchObject({
      status: 400,
      body: { detail: "The user's identity is incorrect" },
    });

    const matchmaker = await h.server.createUser({ role: 'matchmaker', nickname: 'Mei' });
    // wx.request sends an empty JSON body for a POST without data: that is fine here.
    const opened = await h.server.request('POST', '/wx/api/qlive/qlive_room/matchmaker_enter/', {
      headers: { authorization: `QLiveToken ${matchmaker.token}`, 'content-type': 'application/json' },
    });
    expect(opened.status).toBe(200);
    const liveId = Number(opened.body.live_id);

    const stranger = await h.get('/qlive_room/leave_room/', guest.token, { live_id: liveId });
    expect(stranger).toMatchObject({ status: 409, body: { detail: `you are not in live room ${liveId}` } });
    const hostLeaving = await h.get('/qlive_room/leave_room/', matchmaker.token, { live_id: liveId });
    expect(hostLeaving.status).toBe(409);
    const applyOutside = await h.post('/qlive_room/apply_micro/', guest.token, { live_id: liveId });
    expect(applyOutside.status).toBe(409);
    const acceptOutside = await h.post('/qlive_room/accept_micro/', guest.token, { live_id: liveId });
    expect(acceptOutside.status).toBe(409);
    const offMicOutside = await h.get('/qlive_room/leave_micro/', guest.token, {
      live_id: liveId,
      user_id: guest.userId,
    });
    expect(offMicOutside.status).toBe(409);

    const unknownRoom = await h.get('/get_playurl/', guest.token, { live_id: 987_654 });
    expect(unknownRoom).toMatchObject({ status: 404, body: { field: 'live_id' } });
    const badId = await h.get('/get_playurl/', guest.token, { live_id: 'abc' });
    expect(badId).toMatchObject({ status: 400, body: { field: 'live_id' } });

    const genderless = await h.server.createUser({ role: 'guest', gender: 0 });
    await h.get('/get_playurl/', genderless.token, { live_id: liveId });
    const noGender = await h.post('/qlive_room/apply_micro/', genderless.token, { live_id: liveId });
    expect(noGender).toMatchObject({ status: 400, body: { field: 'gender' } });

    const anonymous = await h.server.request('GET', '/wx/api/qlive/get_livelist/');
    expect(anonymous).toMatchObject({
      status: 401,
      body: { detail: 'Authentication credentials were not provided.' },
    });
    const selfLike = await h.post('/qlive_like/', guest.token, { user_id: guest.userId, like_state: 1 });
    expect(selfLike).toMatchObject({ status: 400, body: { field: 'user_id' } });
    const badLike = await h.post('/qlive_like/', guest.token, { user_id: matchmaker.userId, like_state: 3 });
    expect(badLike).toMatchObject({ status: 400, body: { field: 'like_state' } });
    const giftToSelf = await h.get('/qlive_gift/push_gift/', guest.token, {
      user_id: guest.userId,
      gift_id: 1,
    });
    expect(giftToSelf).toMatchObject({ status: 400, body: { field: 'user_id' } });
  });

  it('answers a banned matchmaker with status failed and no stream', async () => {
    // Banned before her first request, so no cached copy of her account predates the ban.
    const matchmaker = await h.server.createUser({ role: 'matchmaker', nickname: 'Banned' });
    const db = new pg.Client({ connectionString: h.server.databaseUrl });
    await db.connect();
    await db.query(`update users set ban_state = 'stream' where id = $1`, [matchmaker.userId]);
    await db.end();
    const entered = await h.post('/qlive_room/matchmaker_enter/', matchmaker.token);
    expect(entered.status).toBe(200);
    expect(entered.body).toMatchObject({
      status: 'failed',
      user_id: String(matchmaker.userId),
      live_id: '',
      push_url: '',
      play_url: '',
      group_id: '',
    });
  });
});
