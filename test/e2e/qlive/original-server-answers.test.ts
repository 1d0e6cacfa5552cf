/**
 * What the mini-program, built against QLive's original server, reads where that server answered
 * beyond `qlive-api.md` (spec/README.md): bare-array lists 8 a page, push_gift's `code` beside
 * `status`, accept_micro's 抢麦失败, matchmaker_enter's identity check, and the `Token` auth word.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/clients.js';
import { pushUrlPattern, type QliveHarness, startQliveHarness } from './qlive-harness.js';

let h: QliveHarness;

beforeAll(async () => {
  h = await startQliveHarness('qlive_original');
});
afterAll(async () => {
  await h.close();
});

const asAdmin = () => ({ authorization: `Bearer ${h.server.adminToken}` });

async function openRoom(nickname = '红娘') {
  const matchmaker = await h.server.createUser({ role: 'matchmaker', nickname, gender: 2 });
  const opened = await h.post('/qlive_room/matchmaker_enter/', matchmaker.token);
  expect(opened.body.status).toBe('ok');
  return { matchmaker, liveId: Number(opened.body.live_id) };
}

async function inRoom(liveId: number, gender: 1 | 2, extra: Record<string, unknown> = {}) {
  const user = await h.server.createUser({ role: 'guest', gender, ...extra });
  expect((await h.get('/get_playurl/', user.token, { live_id: liveId })).status).toBe(200);
  return user;
}

async function giftCosting(cost: number): Promise<number> {
  const created = await h.server.request('POST', '/admin/api/gifts', {
    headers: asAdmin(),
    body: { name: '玫瑰', imgUrl: 'https://img.example.com/rose.png', cost },
  });
  return created.body.giftId;
}

async function sql(text: string, values: unknown[] = []) {
  const db = new pg.Client({ connectionString: h.server.databaseUrl });
  await db.connect();
  try {
    return (await db.query(text, values)).rows;
  } finally {
    await db.end();
  }
}

describe('lists the mini-program pages through', () => {
  it('get_livelist answers a bare array, newest room first, 8 a page and [] past the last page', async () => {
    const rooms: number[] = [];
    for (let index = 0; index < 9; index++) rooms.push((await openRoom(`红娘${index}`)).liveId);
    const viewer = await h.server.createUser({ role: 'guest', gender: 1 });
    const first = await h.get('/get_livelist/', viewer.token);
    expect(first.status).toBe(200);
    expect(Array.isArray(first.body)).toBe(true);
    expect(first.body.map((room: { id: number }) => room.id)).toEqual(rooms.slice(1).reverse());
    expect(first.body[0]).toEqual({
      id: rooms[8],
      group_id: expect.any(String),
      room_name: '红娘8的直播间',
      room_image: '',
      player: { boy: '', girl: '' },
      audience_count: 1,
    });
    const second = await h.get('/get_livelist/', viewer.token, { page: 2 });
    expect(second.body.map((room: { id: number }) => room.id)).toEqual([rooms[0]]);
    const past = await h.get('/get_livelist/', viewer.token, { page: 3 });
    expect(past).toMatchObject({ status: 200, body: [] });
  });

  it('get_users_info answers a bare array of that gender, applicants first, 8 a page and [] past the end', async () => {
    const { matchmaker, liveId } = await openRoom();
    const men = [];
    for (let index = 0; index < 9; index++)
      men.push(await inRoom(liveId, 1, { headImg: `https://img.example.com/man${index}.png` }));
    await inRoom(liveId, 2);
    const last = men[8]!;
    expect((await h.post('/qlive_room/apply_micro/', last.token, { live_id: liveId })).status).toBe(200);

    const query = { live_id: liveId, gender: 1 };
    const first = await h.get('/qlive_user/get_users_info/', matchmaker.token, query);
    expect(first.status).toBe(200);
    expect(first.body).toHaveLength(8);
    expect(first.body[0]).toMatchObject({
      user_id: String(last.userId),
      face_url: 'https://img.example.com/man8.png',
      state: 1,
    });
    expect(first.body.slice(1).map((entry: { state: number }) => entry.state)).toEqual(Array(7).fill(0));
    const second = await h.get('/qlive_user/get_users_info/', matchmaker.token, { ...query, page: 2 });
    expect(second.body).toEqual([expect.objectContaining({ user_id: String(men[7]!.userId), state: 0 })]);
    const past = await h.get('/qlive_user/get_users_info/', matchmaker.token, { ...query, page: 3 });
    expect(past).toMatchObject({ status: 200, body: [] });
  });

  it('GET qlive_pay answers the gold packages as a bare array, 8 a page and [] past the end', async () => {
    const buyer = await h.server.createUser({ role: 'guest' });
    const defaults = await h.get('/qlive_pay/', buyer.token);
    expect(defaults.body).toHaveLength(6);
    for (let index = 0; index < 4; index++)
      await sql(
        `insert into recharge_packages (currency, amount, price_fen, sort_order) values ('gold', $1, $2, $3)`,
        [10_000 + index, 100_000 + index, 10 + index],
      );
    const first = await h.get('/qlive_pay/', buyer.token);
    expect(first.body).toHaveLength(8);
    expect(first.body[0]).toEqual({ id: expect.any(Number), gold: 60, price: '6.00' });
    const second = await h.get('/qlive_pay/', buyer.token, { page: 2 });
    expect(second.body.map((pkg: { gold: number }) => pkg.gold)).toEqual([10_002, 10_003]);
    expect((await h.get('/qlive_pay/', buyer.token, { page: 3 })).body).toEqual([]);
  });
});

describe('push_gift, as the original server answers it', () => {
  it('a gift sent answers status and code "success", the gold left, the income and 赠送成功', async () => {
    const giftId = await giftCosting(10);
    const sender = await h.server.createUser({ role: 'guest', gold: 100 });
    const receiver = await h.server.createUser({ role: 'guest', gender: 2 });
    const sent = await h.get('/qlive_gift/push_gift/', sender.token, {
      user_id: receiver.userId,
      gift_id: giftId,
      num: 3,
    });
    expect(sent).toMatchObject({ status: 200 });
    expect(sent.body).toEqual({
      status: 'success',
      code: 'success',
      gold: 70,
      income: 30,
      detail: '赠送成功',
    });
  });

  it('a gift the sender cannot pay is HTTP 200 failed 账户余额不足, and no gold or income moves', async () => {
    const giftId = await giftCosting(10);
    const sender = await h.server.createUser({ role: 'guest', gold: 25 });
    const receiver = await h.server.createUser({ role: 'guest', gender: 2 });
    const sent = await h.get('/qlive_gift/push_gift/', sender.token, {
      user_id: receiver.userId,
      gift_id: giftId,
      num: 3,
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({ status: 'failed', code: 'failed', detail: '账户余额不足' });
    expect((await h.get('/qlive_user/get_userinfo/', sender.token)).body.gold).toBe(25);
    expect((await h.get('/qlive_user/get_userinfo/', receiver.token)).body.income).toBe(0);
  });
});

describe('accept_micro, as the original server answers it', () => {
  it('a free seat answers code "success" with his stream, gender and face_url', async () => {
    const { liveId } = await openRoom();
    const man = await inRoom(liveId, 1, { nickname: '大伟', headImg: 'https://img.example.com/dawei.png' });
    await h.post('/qlive_room/apply_micro/', man.token, { live_id: liveId });
    const accepted = await h.post('/qlive_room/accept_micro/', man.token, { live_id: liveId });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({
      code: 'success',
      user_id: String(man.userId),
      nickname: '大伟',
      gender: 1,
      face_url: 'https://img.example.com/dawei.png',
      push_url: expect.stringMatching(pushUrlPattern(liveId, man.userId)),
      seat: 'male',
      user_type: 3,
    });
  });

  it('a seat someone else holds answers HTTP 200 {code: "failed", error_msg: "抢麦失败"} and he stays applied', async () => {
    const { liveId } = await openRoom();
    const [first, second] = [await inRoom(liveId, 1), await inRoom(liveId, 1)];
    for (const man of [first, second])
      await h.post('/qlive_room/apply_micro/', man.token, { live_id: liveId });
    expect((await h.post('/qlive_room/accept_micro/', first.token, { live_id: liveId })).body.code).toBe(
      'success',
    );
    const taken = await h.post('/qlive_room/accept_micro/', second.token, { live_id: liveId });
    expect(taken).toMatchObject({ status: 200, body: { code: 'failed', error_msg: '抢麦失败' } });
    expect(Object.keys(taken.body).sort()).toEqual(['code', 'error_msg']);
    expect(await h.userType(second.token)).toBe(2);
    expect(await h.userType(first.token)).toBe(3);
  });
});

describe('matchmaker_enter, as the original server answers it', () => {
  it('a user who is not a matchmaker gets 400 "The user\'s identity is incorrect"', async () => {
    const guest = await h.server.createUser({ role: 'guest', gender: 1 });
    const entered = await h.post('/qlive_room/matchmaker_enter/', guest.token);
    expect(entered).toMatchObject({ status: 400, body: { detail: "The user's identity is incorrect" } });
  });

  it('a banned matchmaker gets 200 status "failed", and Tencent IM is never asked about her group', async () => {
    const matchmaker = await h.server.createUser({ role: 'matchmaker', nickname: '被封' });
    const owner = String(matchmaker.userId);
    // Becoming a matchmaker made her group (queued): wait until that is done.
    await eventually(async () => [...h.im.groups.values()].some((group) => group.owner === owner));
    const groupId = [...h.im.groups.values()].find((group) => group.owner === owner)!.groupId;
    const banned = await h.server.request('POST', `/admin/api/users/${matchmaker.userId}/ban`, {
      headers: asAdmin(),
      body: { type: 'stream', message: 'banned' },
    });
    expect(banned.status).toBe(200);
    const asked = () =>
      h.im.calls.filter(
        (call) =>
          (call.command === 'group_open_http_svc/get_group_info' &&
            JSON.stringify(call.body.GroupIdList) === JSON.stringify([groupId])) ||
          (call.command === 'group_open_http_svc/create_group' && call.body.Owner_Account === owner),
      ).length;
    const before = asked();

    const entered = await h.post('/qlive_room/matchmaker_enter/', matchmaker.token);
    expect(entered.status).toBe(200);
    expect(entered.body).toMatchObject({ status: 'failed', live_id: '', push_url: '', group_id: '' });
    expect(asked()).toBe(before);
    expect(await h.userType(matchmaker.token)).toBe(0);
  });
});

describe('the Authorization header', () => {
  it('takes `Token <key>` as it takes `QLiveToken <key>`, and logout revokes a token sent either way', async () => {
    const user = await h.server.createUser({ role: 'guest', gender: 1 });
    const asToken = { authorization: `Token ${user.token}` };
    const state = await h.server.request('GET', '/wx/api/qlive/qlive_user/get_user_state/', {
      headers: asToken,
    });
    expect(state).toMatchObject({ status: 200, body: { user_type: 0 } });
    const out = await h.server.request('GET', '/wx/api/qlive/qlive_user/logout/', { headers: asToken });
    expect(out).toMatchObject({ status: 200, body: { detail: 'OK' } });
    const after = await h.get('/qlive_user/get_user_state/', user.token);
    expect(after).toMatchObject({ status: 401, body: { detail: 'Invalid token.' } });
  });
});
