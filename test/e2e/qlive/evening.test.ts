/**
 * A whole evening in a QLive room, as the mini-programs drive it: a matchmaker opens her room,
 * guests sign up through (a local) WeChat, enter, apply for the mics, are accepted and refused,
 * buy gold with WeChat Pay, send gifts and likes, leave the mic and the room, and the room ends.
 * Each step checks the documented fields, every caller's `user_type`, and what each app was pushed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type TestClient } from '../../helpers/clients.js';
import {
  playUrlPattern,
  pushUrlPattern,
  type QliveHarness,
  type SignedUp,
  startQliveHarness,
} from './qlive-harness.js';

let h: QliveHarness;

let matchmaker: { userId: number; token: string };
let mmApp: TestClient;
let dawei: SignedUp;
let jun: SignedUp;
let xiaomei: SignedUp;
let apps: Record<'dawei' | 'jun' | 'xiaomei', TestClient>;
let liveId: number;
let roseId: number;
let groupId: string;

beforeAll(async () => {
  h = await startQliveHarness('qlive_evening');
});
afterAll(async () => {
  await h.close();
});

const client = (token: string) => h.client(token);

const userType = (token: string) => h.userType(token);

describe('an evening in a matchmaking room', () => {
  it('opens the room when the matchmaker enters, with her stream URLs and IM group', async () => {
    matchmaker = await h.server.createUser({
      role: 'matchmaker',
      nickname: '王阿姨',
      age: 50,
      gender: 2,
      headImg: 'https://img.example.com/wang.png',
    });
    mmApp = await client(matchmaker.token);
    const gift = await h.server.request('POST', '/admin/api/gifts', {
      body: { name: '玫瑰', imgUrl: 'https://img.example.com/rose.png', cost: 10, effect: 'petals' },
      headers: { authorization: `Bearer ${h.server.adminToken}` },
    });
    roseId = gift.body.giftId;
    // Making her a matchmaker created her IM group (queued): her account first, then the group.
    await eventually(async () => h.im.groups.size === 1);
    groupId = [...h.im.groups.keys()][0] ?? '';
    expect(h.im.groups.get(groupId)).toEqual({
      groupId,
      type: 'AVChatRoom',
      name: '王阿姨',
      faceUrl: 'https://img.example.com/wang.png',
      owner: String(matchmaker.userId),
    });

    const opened = await h.post('/qlive_room/matchmaker_enter/', matchmaker.token);
    expect(opened.status).toBe(200);
    liveId = Number(opened.body.live_id);
    expect(opened.body).toEqual({
      status: 'ok',
      user_id: String(matchmaker.userId),
      live_id: String(liveId),
      nickname: '王阿姨',
      face_url: 'https://img.example.com/wang.png',
      push_url: expect.stringMatching(pushUrlPattern(liveId, matchmaker.userId)),
      play_url: expect.stringMatching(playUrlPattern(liveId, matchmaker.userId)),
      group_id: groupId,
      room_name: '王阿姨的直播间',
    });
    const pushed = await mmApp.next('room:update', (view) => view.liveId === liveId);
    expect(pushed).toMatchObject({
      state: 'live',
      event: 'xstate.init',
      audienceCount: 1,
      numList: [0, 0, 0, 0],
    });

    const again = await h.post('/qlive_room/matchmaker_enter/', matchmaker.token, {});
    expect(again.body.live_id).toBe(String(liveId));
    expect(await h.get('/qlive_user/get_user_state/', matchmaker.token)).toMatchObject({
      status: 200,
      body: { live_room_name: '王阿姨的直播间', live_id: liveId, group_id: groupId, user_type: 5 },
    });
  });

  it('signs guests up through WeChat and signs them in again with a new code', async () => {
    dawei = await h.signUp({
      nickName: '大伟',
      gender: 1,
      avatarUrl: 'https://wx.qlogo.cn/dawei',
      city: 'Shanghai',
    });
    jun = await h.signUp({ nickName: '小军', gender: 1, avatarUrl: 'https://wx.qlogo.cn/jun' });
    xiaomei = await h.signUp({ nickName: '小美', gender: 2, avatarUrl: 'https://wx.qlogo.cn/xiaomei' });
    expect(dawei.userSign.length).toBeGreaterThan(50);

    const again = await h.post('/qlive_user/login/', null, { appId: h.wechat.appId, code: h.code(dawei) });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({
      status: 0,
      token: expect.stringMatching(/^[0-9a-f]{40}$/),
      user_id: String(dawei.userId),
      user_sign: expect.any(String),
      sdk_app_id: expect.stringMatching(/^\d+$/),
      login_type: 0,
    });
    const info = await h.get('/qlive_user/get_userinfo/', again.body.token);
    expect(info.body).toMatchObject({
      user_id: String(dawei.userId),
      nickname: '大伟',
      gender: 1,
      face_url: 'https://wx.qlogo.cn/dawei',
      area: 'Shanghai',
      gold: 0,
      income: 0,
      is_matchmaker: false,
      last_login_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
      create_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
      rate: '0.05',
    });
    expect(info.body.user_sig.length).toBeGreaterThan(50);
    expect(info.body.user_sig_expired).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  it('lists the room and lets each guest enter as audience (user_type 1)', async () => {
    const list = await h.get('/get_livelist/', dawei.token);
    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      {
        id: liveId,
        group_id: groupId,
        room_name: '王阿姨的直播间',
        room_image: 'https://img.example.com/wang.png',
        player: { boy: '', girl: '' },
        audience_count: 1,
      },
    ]);

    apps = {
      dawei: await client(dawei.token),
      jun: await client(jun.token),
      xiaomei: await client(xiaomei.token),
    };
    for (const guest of [dawei, jun, xiaomei]) {
      const entered = await h.get('/get_playurl/', guest.token, { live_id: liveId });
      expect(entered.status).toBe(200);
      expect(entered.body.user_type).toBe(1);
      expect(entered.body.push_url).toBe('');
    }
    const view = await h.get('/get_playurl/', xiaomei.token, { live_id: liveId });
    expect(view.body).toEqual({
      anchor_info: { nickname: '王阿姨', face_url: 'https://img.example.com/wang.png' },
      owner: {
        play_url: expect.stringMatching(playUrlPattern(liveId, matchmaker.userId)),
        nickname: '王阿姨',
        area: '',
        age: 50,
        user_id: String(matchmaker.userId),
        face_url: 'https://img.example.com/wang.png',
      },
      male: { play_url: '', nickname: '', area: '', age: 0, user_id: '', face_url: '' },
      female: { play_url: '', nickname: '', area: '', age: 0, user_id: '', face_url: '' },
      user_type: 1,
      push_url: '',
      num_list: [0, 2, 0, 1],
      live_id: liveId,
      group_id: groupId,
      room_name: '王阿姨的直播间',
    });
    // Everyone in the room hears each entrance; the last one saw four people.
    const entered = await mmApp.next('room:update', (v) => v.event === 'ENTER' && v.audienceCount === 4);
    expect(entered.numList).toEqual([0, 2, 0, 1]);
    await apps.dawei.next('room:update', (v) => v.event === 'ENTER' && v.audienceCount === 4);

    const login = await h.post('/qlive_user/login/', null, { appId: h.wechat.appId, code: h.code(jun) });
    expect(login.body).toMatchObject({
      status: 0,
      login_type: 1,
      user_type: 1,
      live_room_name: '王阿姨的直播间',
      live_id: String(liveId),
      group_id: groupId,
    });
    expect((await h.get('/get_livelist/', jun.token)).body[0].audience_count).toBe(4);
  });

  it('takes applications for the mics (user_type 2) and lists applicants before the audience', async () => {
    for (const guest of [jun, dawei, xiaomei]) {
      const applied = await h.post('/qlive_room/apply_micro/', guest.token, { live_id: liveId });
      expect(applied).toMatchObject({ status: 200, body: { detail: 'OK' } });
      expect(await userType(guest.token)).toBe(2);
    }
    const twice = await h.post('/qlive_room/apply_micro/', jun.token, { live_id: String(liveId) });
    expect(twice.status).toBe(409);
    expect(twice.body.detail).toContain('already applied');

    const men = await h.get('/qlive_user/get_users_info/', matchmaker.token, { live_id: liveId, gender: 1 });
    expect(men.body).toEqual([
      {
        user_id: String(jun.userId),
        face_url: 'https://wx.qlogo.cn/jun',
        state: 1,
        nickname: '小军',
        age: 0,
        area: '',
      },
      {
        user_id: String(dawei.userId),
        face_url: 'https://wx.qlogo.cn/dawei',
        state: 1,
        nickname: '大伟',
        age: 0,
        area: 'Shanghai',
      },
    ]);
    const update = await mmApp.next('room:update', (v) => v.event === 'APPLY' && v.applicants.length === 3);
    expect(update.numList).toEqual([2, 2, 1, 1]);
    expect((await h.get('/get_playurl/', jun.token, { live_id: liveId })).body.num_list).toEqual([
      2, 2, 1, 1,
    ]);
  });

  it('seats an accepted applicant on the mic of his gender, and refuses a second man', async () => {
    const accepted = await h.post('/qlive_room/accept_micro/', dawei.token, { live_id: liveId });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({
      code: 'success',
      gender: 1,
      play_url: expect.stringMatching(playUrlPattern(liveId, dawei.userId)),
      push_url: expect.stringMatching(pushUrlPattern(liveId, dawei.userId)),
      nickname: '大伟',
      area: 'Shanghai',
      age: 0,
      user_id: String(dawei.userId),
      face_url: 'https://wx.qlogo.cn/dawei',
      seat: 'male',
      user_type: 3,
    });
    const seat = await apps.xiaomei.next('room:seat', (s) => s.userId === dawei.userId);
    expect(seat).toEqual({
      liveId,
      seat: 'male',
      userId: dawei.userId,
      playUrl: expect.stringMatching(playUrlPattern(liveId, dawei.userId)),
    });

    // The matchmaker may accept for an applicant too; she does not get his push URL.
    const forHer = await h.post('/qlive_room/accept_micro/', matchmaker.token, {
      live_id: liveId,
      user_id: xiaomei.userId,
    });
    expect(forHer.body).toMatchObject({
      code: 'success',
      user_id: String(xiaomei.userId),
      gender: 2,
      seat: 'female',
      push_url: '',
      user_type: 4,
    });
    expect(await userType(dawei.token)).toBe(3);
    expect(await userType(xiaomei.token)).toBe(4);

    const taken = await h.post('/qlive_room/accept_micro/', jun.token, { live_id: liveId });
    expect(taken).toMatchObject({ status: 200, body: { code: 'failed', error_msg: '抢麦失败' } });
    expect(await userType(jun.token)).toBe(2);
    const notHers = await h.post('/qlive_room/refuse_micro/', dawei.token, {
      live_id: liveId,
      user_id: jun.userId,
    });
    expect(notHers.status).toBe(403);
    const refused = await h.post('/qlive_room/refuse_micro/', matchmaker.token, {
      live_id: liveId,
      user_id: jun.userId,
    });
    expect(refused).toMatchObject({ status: 200, body: { detail: 'OK' } });
    expect(await userType(jun.token)).toBe(1);

    const onMic = await h.get('/get_playurl/', dawei.token, { live_id: liveId });
    expect(onMic.body).toMatchObject({
      user_type: 3,
      push_url: expect.stringMatching(pushUrlPattern(liveId, dawei.userId)),
      male: { user_id: String(dawei.userId), nickname: '大伟', face_url: 'https://wx.qlogo.cn/dawei' },
      female: { user_id: String(xiaomei.userId), nickname: '小美' },
      num_list: [0, 2, 0, 1],
    });
    expect((await h.get('/get_playurl/', matchmaker.token, { live_id: liveId })).body).toMatchObject({
      user_type: 5,
      push_url: expect.stringMatching(pushUrlPattern(liveId, matchmaker.userId)),
    });
    expect((await h.get('/get_livelist/', jun.token)).body[0]).toMatchObject({
      player: { boy: 'https://wx.qlogo.cn/dawei', girl: 'https://wx.qlogo.cn/xiaomei' },
      audience_count: 4,
    });
    const women = await h.get('/qlive_user/get_users_info/', matchmaker.token, {
      live_id: liveId,
      gender: 2,
    });
    expect(women.body).toEqual([]);
  });

  it('sells gold through WeChat Pay and credits it once the payment is notified', async () => {
    const packages = await h.get('/qlive_pay/', jun.token);
    expect(packages.status).toBe(200);
    expect(packages.body[0]).toEqual({ id: expect.any(Number), gold: 60, price: '6.00' });
    expect(packages.body.map((p: { gold: number }) => p.gold)).toEqual([60, 300, 680, 1280, 3280, 6480]);

    const order = await h.post('/qlive_pay/', jun.token, { block_id: packages.body[0].id });
    expect(order.status).toBe(200);
    expect(order.body).toEqual({
      success: 'success',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      sign: expect.any(String),
      content: expect.any(String),
      out_trade_no: expect.stringMatching(/^R\d{14}[0-9a-f]{12}$/),
    });
    const payment = JSON.parse(order.body.content);
    expect(payment).toEqual({
      timeStamp: expect.stringMatching(/^\d+$/),
      nonceStr: expect.any(String),
      package: expect.stringMatching(/^prepay_id=wx/),
      signType: 'RSA',
      paySign: order.body.sign,
    });
    const placed = h.wechat.orders.get(order.body.out_trade_no);
    expect(placed).toMatchObject({ amount: { total: 600 }, payer: { openid: jun.openid } });
    expect((await h.get('/qlive_user/get_userinfo/', jun.token)).body.gold).toBe(0);

    expect(await h.wechat.notifyPaid(order.body.out_trade_no, h.notifyUrl)).toBe(204);
    expect(await apps.jun.next('wallet:update', (w) => w.gold === 60)).toEqual({ gold: 60 });
    expect(await h.wechat.notifyPaid(order.body.out_trade_no, h.notifyUrl)).toBe(204);
    expect((await h.get('/qlive_user/get_userinfo/', jun.token)).body.gold).toBe(60);
  });

  it('moves gold from the sender to the receiver’s income when a gift is sent, and tells the room', async () => {
    const sent = await h.get('/qlive_gift/push_gift/', jun.token, {
      user_id: xiaomei.userId,
      gift_id: roseId,
      num: 2,
    });
    expect(sent).toMatchObject({
      status: 200,
      body: { status: 'success', code: 'success', gold: 40, income: 20, detail: '赠送成功' },
    });
    const gift = {
      liveId,
      fromUserId: jun.userId,
      toUserId: xiaomei.userId,
      giftId: roseId,
      name: '玫瑰',
      image: 'https://img.example.com/rose.png',
      effect: 'petals',
      num: 2,
      gold: 20,
    };
    expect(await mmApp.next('room:gift')).toEqual(gift);
    expect(await apps.dawei.next('room:gift')).toEqual(gift);
    expect(await apps.xiaomei.next('wallet:update', (w) => w.income === 20)).toEqual({ income: 20 });

    const retried = { 'idempotency-key': 'jun-rose-1' };
    const first = await h.server.request(
      'GET',
      `/wx/api/qlive/qlive_gift/push_gift/?user_id=${dawei.userId}&gift_id=${roseId}&num=1`,
      { headers: { authorization: `QLiveToken ${jun.token}`, ...retried } },
    );
    const again = await h.server.request(
      'GET',
      `/wx/api/qlive/qlive_gift/push_gift/?user_id=${dawei.userId}&gift_id=${roseId}&num=1`,
      { headers: { authorization: `QLiveToken ${jun.token}`, ...retried } },
    );
    expect(first.body).toEqual({
      status: 'success',
      code: 'success',
      gold: 30,
      income: 10,
      detail: '赠送成功',
    });
    expect(again.body).toEqual(first.body);

    const tooMuch = await h.get('/qlive_gift/push_gift/', jun.token, {
      user_id: xiaomei.userId,
      gift_id: roseId,
      num: 4,
    });
    expect(tooMuch).toMatchObject({
      status: 200,
      body: { status: 'failed', code: 'failed', detail: '账户余额不足' },
    });
    const unknownGift = await h.get('/qlive_gift/push_gift/', jun.token, {
      user_id: xiaomei.userId,
      gift_id: 999_999,
    });
    expect(unknownGift).toMatchObject({ status: 404, body: { field: 'gift_id' } });
    const unknownUser = await h.get('/qlive_gift/push_gift/', jun.token, {
      user_id: 99_999_999,
      gift_id: roseId,
    });
    expect(unknownUser).toMatchObject({ status: 404, body: { field: 'user_id' } });
    const mine = await h.get('/qlive_user/get_userinfo/', xiaomei.token);
    expect(mine.body).toMatchObject({ gold: 0, income: 20 });
    const others = await h.get('/qlive_user/get_userinfo/', jun.token, { user_id: xiaomei.userId });
    expect(others.body).toMatchObject({
      nickname: '小美',
      user_sig: '',
      user_sig_expired: null,
      gold: 0,
      income: 0,
    });
  });

  it('records likes and unlikes', async () => {
    expect((await h.get('/qlive_like/', jun.token, { user_id: xiaomei.userId })).body).toEqual({
      like_state: 0,
    });
    const liked = await h.post('/qlive_like/', jun.token, { user_id: String(xiaomei.userId), like_state: 1 });
    expect(liked).toMatchObject({ status: 200, body: { detail: 'ok' } });
    expect((await h.get('/qlive_like/', jun.token, { user_id: xiaomei.userId })).body).toEqual({
      like_state: 1,
    });
    expect((await h.get('/qlive_like/', xiaomei.token, { user_id: jun.userId })).body).toEqual({
      like_state: 0,
    });
    await h.post('/qlive_like/', jun.token, { user_id: xiaomei.userId, like_state: 0 });
    expect((await h.get('/qlive_like/', jun.token, { user_id: xiaomei.userId })).body).toEqual({
      like_state: 0,
    });
  });

  it('lets a seat holder leave the mic and the matchmaker take one off, and guests leave the room', async () => {
    const self = await h.get('/qlive_room/leave_micro/', xiaomei.token, {
      live_id: liveId,
      user_id: xiaomei.userId,
      gender: 2,
    });
    expect(self).toMatchObject({ status: 200, body: { detail: 'OK' } });
    expect(await userType(xiaomei.token)).toBe(1);
    expect(await mmApp.next('room:seat', (s) => s.seat === 'female' && s.userId === null)).toMatchObject({
      playUrl: '',
    });

    const notYours = await h.get('/qlive_room/leave_micro/', jun.token, {
      live_id: liveId,
      user_id: dawei.userId,
      gender: 1,
    });
    expect(notYours.status).toBe(403);
    const byHer = await h.get('/qlive_room/leave_micro/', matchmaker.token, {
      live_id: liveId,
      user_id: dawei.userId,
      gender: 1,
    });
    expect(byHer.status).toBe(200);
    expect(await userType(dawei.token)).toBe(1);
    await apps.dawei.next('room:update', (v) => v.event === 'LEAVE_SEAT' && v.seats.male === null);

    const left = await h.get('/qlive_room/leave_room/', jun.token, { live_id: liveId });
    expect(left).toMatchObject({ status: 200, body: { detail: 'OK' } });
    expect(await h.get('/qlive_user/get_user_state/', jun.token)).toMatchObject({
      body: { live_room_name: '', live_id: null, group_id: '', user_type: 0 },
    });
    expect((await mmApp.next('room:update', (v) => v.event === 'LEAVE')).audienceCount).toBe(3);
  });

  it('serves the configs and profile edits', async () => {
    const configs = await h.get('/get_configs/', dawei.token);
    expect(configs.status).toBe(200);
    expect(Object.keys(configs.body)).toEqual([
      'PROGRAM_SHARE',
      'LIVEROOM_SHARE',
      'INDEX_BANNER',
      'BACKGROUND',
    ]);
    expect(configs.body.BACKGROUND).toEqual({
      color: '#f69c9a',
      height: 1954,
      src: 'https://images.daqinjia.cn/qlive/0eace3c6-b9c2-11e9-aec7-8c89a53fe892.png',
    });
    expect(configs.body.PROGRAM_SHARE).toHaveLength(4);
    // An operator's setting replaces one key; one of the wrong shape is ignored.
    await h.server.context.configs.set('qlive.INDEX_BANNER', 'https://img.example.com/banner.png');
    await h.server.context.configs.set('qlive.BACKGROUND', 'not an object');
    const edited = await h.get('/get_configs/', dawei.token);
    expect(edited.body.INDEX_BANNER).toBe('https://img.example.com/banner.png');
    expect(edited.body.BACKGROUND).toEqual(configs.body.BACKGROUND);

    const updated = await h.post('/qlive_user/update_userinfo/', dawei.token, {
      nickname: '大伟哥',
      gender: '1',
      age: '33',
      area: '310100',
      face_url: 'https://images.example.com/dawei.jpg',
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      user_id: String(dawei.userId),
      nickname: '大伟哥',
      gender: 1,
      age: 33,
      area: '310100',
      face_url: 'https://images.example.com/dawei.jpg',
      is_matchmaker: false,
    });
    const blank = await h.post('/qlive_user/update_userinfo/', dawei.token, { age: '', gender: '' });
    expect(blank.body).toMatchObject({ age: 33, gender: 1 });
    const bad = await h.post('/qlive_user/update_userinfo/', dawei.token, { gender: '7' });
    expect(bad).toMatchObject({ status: 400, body: { field: 'gender' } });
  });

  it('ends the room for everyone when the matchmaker ends the live', async () => {
    const notHers = await h.post('/qlive_room/live_end/', dawei.token, { live_id: liveId });
    expect(notHers.status).toBe(403);
    const ended = await h.post('/qlive_room/live_end/', matchmaker.token, { live_id: liveId });
    expect(ended).toMatchObject({ status: 200, body: { detail: 'OK' } });
    for (const app of [mmApp, apps.dawei, apps.xiaomei]) {
      const last = await app.next('room:update', (v) => v.state === 'ended');
      expect(last).toMatchObject({ liveId, endReason: 'matchmaker_ended', audienceCount: 0 });
    }
    for (const token of [matchmaker.token, dawei.token, xiaomei.token]) expect(await userType(token)).toBe(0);
    await eventually(async () => (await h.get('/get_livelist/', dawei.token)).body.length === 0);
    const late = await h.get('/get_playurl/', jun.token, { live_id: liveId });
    expect(late).toMatchObject({ status: 409, body: { detail: `live room ${liveId} has ended` } });
    expect((await h.post('/qlive_room/live_end/', matchmaker.token, { live_id: liveId })).status).toBe(409);
    // Jun, who had left, was not told.
    expect(
      apps.jun.received.some((entry) => entry.event === 'room:update' && entry.payload.state === 'ended'),
    ).toBe(false);
  });

  it('told the matchmaker the counts over Tencent IM after each change, in order, and the room nothing', async () => {
    const num = (numList: number[]) => ({
      kind: 'c2c',
      to: String(matchmaker.userId),
      text: { content: { group_id: groupId, num_list: numList }, type: 'num' },
    });
    const expected = [
      num([0, 1, 0, 0]), // Dawei, Jun and Xiaomei enter
      num([0, 2, 0, 0]),
      num([0, 2, 0, 1]),
      num([1, 2, 0, 1]), // Jun, Dawei and Xiaomei apply
      num([2, 2, 0, 1]),
      num([2, 2, 1, 1]),
      num([1, 2, 1, 1]), // Dawei takes the male seat, the matchmaker seats Xiaomei
      num([1, 2, 0, 1]),
      num([0, 2, 0, 1]), // Jun refused
      num([0, 2, 0, 1]), // Xiaomei leaves the mic, the matchmaker takes Dawei off
      num([0, 2, 0, 1]),
      num([0, 1, 0, 1]), // Jun leaves the room
    ];
    await eventually(async () => h.im.messages.length >= expected.length);
    expect(h.im.messages.map(({ kind, to, text }) => ({ kind, to, text }))).toEqual(expected);
    // Python's json.dumps form, as QLive's original server sent it.
    expect(h.im.messages[0]?.rawText).toBe(
      `{"content": {"group_id": "${groupId}", "num_list": [0, 1, 0, 0]}, "type": "num"}`,
    );
    // Every IM call was signed as the admin and accepted; profiles follow sign-ups and edits.
    expect(h.im.calls.filter((call) => call.outcome !== 'ok')).toEqual([]);
    for (const guest of [dawei, jun, xiaomei]) expect(h.im.accounts.has(String(guest.userId))).toBe(true);
    await eventually(async () => h.im.callsOf('profile/portrait_set').length === 5);
    expect(h.im.accounts.get(String(dawei.userId))?.profile).toEqual({
      Tag_Profile_Custom_Nickname: '大伟哥',
      Tag_Profile_IM_Image: 'https://images.example.com/dawei.jpg',
    });
    expect(h.im.callsOf('group_open_http_svc/send_group_msg')).toEqual([]);
    expect(h.im.callsOf('group_open_http_svc/destroy_group')).toEqual([]);
  });

  it('revokes the token on logout', async () => {
    const out = await h.get('/qlive_user/logout/', jun.token);
    expect(out).toMatchObject({ status: 200, body: { detail: 'OK' } });
    const after = await h.get('/qlive_user/get_user_state/', jun.token);
    expect(after).toMatchObject({ status: 401, body: { detail: 'Invalid token.' } });
  });
});
