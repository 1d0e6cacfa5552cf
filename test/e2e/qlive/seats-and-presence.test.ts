/**
 * Races for the one male seat, and what happens when the people a room depends on vanish: a seat
 * holder's mic is freed after the grace period, a matchmaker who stays away ends her room, and a
 * quick return (a network blip) changes nothing. A member who never opens our websocket (QLive's
 * mini-program speaks Tencent IM) has no grace period: IM's callbacks are his presence signal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/clients.js';
import { QLIVE, type QliveHarness, startQliveHarness } from './qlive-harness.js';

let h: QliveHarness;

beforeAll(async () => {
  h = await startQliveHarness('qlive_seats', { DISCONNECT_GRACE_MS: '400' });
});
afterAll(async () => {
  await h.close();
});

const client = (token: string) => h.client(token);

const userType = (token: string) => h.userType(token);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function openRoom() {
  const matchmaker = await h.server.createUser({ role: 'matchmaker', nickname: '红娘', gender: 2 });
  const opened = await h.post('/qlive_room/matchmaker_enter/', matchmaker.token);
  expect(opened.body.status).toBe('ok');
  return { matchmaker, liveId: Number(opened.body.live_id) };
}

async function applicant(liveId: number, gender: 1 | 2) {
  const user = await h.server.createUser({ role: 'guest', gender, nickname: gender === 1 ? '男' : '女' });
  expect((await h.get('/get_playurl/', user.token, { live_id: liveId })).status).toBe(200);
  expect((await h.post('/qlive_room/apply_micro/', user.token, { live_id: liveId })).status).toBe(200);
  return user;
}

describe('the male seat', () => {
  it('goes to exactly one of two men who take it at the same moment', async () => {
    const { liveId, matchmaker } = await openRoom();
    for (let round = 0; round < 3; round++) {
      const [a, b] = [await applicant(liveId, 1), await applicant(liveId, 1)];
      const answers = await Promise.all(
        [a, b].map((man) => h.post('/qlive_room/accept_micro/', man.token, { live_id: liveId })),
      );
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      expect(answers.map((answer) => answer.body.code).sort()).toEqual(['failed', 'success']);
      const winner = answers[0]!.body.code === 'success' ? a : b;
      const loser = winner === a ? b : a;
      expect(answers.find((answer) => answer.body.code === 'failed')!.body).toEqual({
        code: 'failed',
        error_msg: '抢麦失败',
      });
      expect(await userType(winner.token)).toBe(3);
      expect(await userType(loser.token)).toBe(2);
      const view = await h.get('/get_playurl/', matchmaker.token, { live_id: liveId });
      expect(view.body.male.user_id).toBe(String(winner.userId));
      // Free the seat for the next round.
      await h.get('/qlive_room/leave_micro/', winner.token, {
        live_id: liveId,
        user_id: winner.userId,
        gender: 1,
      });
      await h.post('/qlive_room/refuse_micro/', loser.token, { live_id: liveId });
    }
  });
});

describe('presence', () => {
  it('takes a seat holder who vanishes off the mic after the grace period, but not one who comes back', async () => {
    const { liveId, matchmaker } = await openRoom();
    const mmApp = await client(matchmaker.token);
    const woman = await applicant(liveId, 2);
    let womanApp = await client(woman.token);
    await h.post('/qlive_room/accept_micro/', woman.token, { live_id: liveId });
    expect(await userType(woman.token)).toBe(4);

    womanApp.close();
    await sleep(100);
    womanApp = await client(woman.token);
    // Reconnected: she is told the room's current state and keeps her seat past the grace period.
    expect(await womanApp.next('room:update', (view) => view.liveId === liveId)).toMatchObject({
      event: 'sync',
      seats: { female: woman.userId },
    });
    await sleep(700);
    expect(await userType(woman.token)).toBe(4);

    womanApp.close();
    const freed = await mmApp.next('room:seat', (seat) => seat.seat === 'female' && seat.userId === null);
    expect(freed).toEqual({ liveId, seat: 'female', userId: null, playUrl: '' });
    expect(await userType(woman.token)).toBe(1);
    const view = await h.get('/get_playurl/', matchmaker.token, { live_id: liveId });
    expect(view.body.female.user_id).toBe('');
  });

  it('ends the room when its matchmaker stays disconnected past the grace period', async () => {
    const { liveId, matchmaker } = await openRoom();
    let mmApp = await client(matchmaker.token);
    const man = await applicant(liveId, 1);
    const manApp = await client(man.token);

    mmApp.close();
    await sleep(100);
    mmApp = await client(matchmaker.token);
    await sleep(700);
    expect(await userType(matchmaker.token)).toBe(5);
    const reentered = await h.post('/qlive_room/matchmaker_enter/', matchmaker.token);
    expect(reentered.body.live_id).toBe(String(liveId));

    mmApp.close();
    const ended = await manApp.next('room:update', (view) => view.state === 'ended', 5_000);
    expect(ended).toMatchObject({
      liveId,
      endReason: 'matchmaker_left',
      seats: { male: null, female: null },
    });
    expect(await userType(man.token)).toBe(0);
    expect(await userType(matchmaker.token)).toBe(0);
    await eventually(async () => {
      const list = await h.get('/get_livelist/', man.token);
      return !list.body.some((room: { id: number }) => room.id === liveId);
    });

    // She opens a new room the next time she enters.
    const next = await h.post('/qlive_room/matchmaker_enter/', matchmaker.token);
    expect(Number(next.body.live_id)).toBeGreaterThan(liveId);
  });

  it('keeps a member who never opened our websocket on the mic past the grace period; his IM logout frees the seat', async () => {
    // QLive's mini-program speaks Tencent IM, not Socket.IO: the matchmaker and the man never connect.
    const { liveId, matchmaker } = await openRoom();
    const groupId = (await h.get('/get_playurl/', matchmaker.token, { live_id: liveId })).body.group_id;
    expect(groupId).toMatch(/^@TGS#/);
    const man = await applicant(liveId, 1);
    await h.post('/qlive_room/accept_micro/', man.token, { live_id: liveId });
    expect(await userType(man.token)).toBe(3);
    // A client of ours beside him: her socket drops, and the grace period takes her off the mic.
    const woman = await applicant(liveId, 2);
    const womanApp = await client(woman.token);
    await h.post('/qlive_room/accept_micro/', woman.token, { live_id: liveId });
    expect(await userType(woman.token)).toBe(4);
    womanApp.close();
    await eventually(async () => (await userType(woman.token)) === 1);

    // A whole grace period has passed since he sat down: he and the matchmaker are where they were.
    expect(await userType(man.token)).toBe(3);
    expect(await userType(matchmaker.token)).toBe(5);
    const seated = await h.get('/get_playurl/', matchmaker.token, { live_id: liveId });
    expect(seated.body.male.user_id).toBe(String(man.userId));

    // Tencent tells us he logged out of IM: that is his presence signal.
    const before = h.im.messages.length;
    const loggedOut = await h.server.request(
      'POST',
      `${QLIVE}/im_notify/?SdkAppid=${h.im.sdkAppId}&CallbackCommand=State.StateChange&contenttype=json`,
      {
        body: {
          CallbackCommand: 'State.StateChange',
          EventTime: Date.now(),
          Info: { Action: 'Logout', To_Account: String(man.userId), Reason: 'Unregister' },
        },
      },
    );
    expect(loggedOut.body).toEqual({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
    await eventually(async () => h.im.messages.length >= before + 2);
    expect(h.im.messages.slice(before).map(({ kind, to, text }) => ({ kind, to, text }))).toEqual([
      {
        kind: 'group',
        to: groupId,
        text: {
          content: {
            content_type: 'off',
            user_id: String(man.userId),
            play_url: '',
            nickname: '',
            area: '',
            age: '',
            face_url: '',
            gender: 1,
          },
          type: 'reset',
        },
      },
      {
        kind: 'c2c',
        to: String(matchmaker.userId),
        text: { content: { group_id: groupId, num_list: [0, 0, 0, 1] }, type: 'num' },
      },
    ]);
    expect(await userType(man.token)).toBe(0);
    const freed = await h.get('/get_playurl/', matchmaker.token, { live_id: liveId });
    expect(freed.body.male.user_id).toBe('');
  });
});
