/**
 * QLive's realtime channel is Tencent IM (qlive-realtime.md): the server's messages, the IM
 * callbacks, the room's IM group, and what a failing or stalled IM API does (nothing a client of
 * our HTTP API can see; the messages go out once it is back), against the stand-in IM API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imCallbackSign } from '../../../src/http/qlive/im-notify.routes.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { eventually } from '../../helpers/clients.js';
import {
  type DeliveredImMessage,
  type FakeTencentIm,
  imEnv,
  startFakeTencentIm,
} from '../../helpers/fake-tencent-im.js';
import { QLIVE, type QliveHarness, type SignedUp, startQliveHarness } from './qlive-harness.js';

let h: QliveHarness;
let matchmaker: { userId: number; token: string };
let man: SignedUp;
let woman: SignedUp;
let other: SignedUp;
let liveId: number;
let groupId: string;

beforeAll(async () => {
  h = await startQliveHarness('qlive_im');
  matchmaker = await h.server.createUser({
    role: 'matchmaker',
    nickname: '李红娘',
    headImg: 'https://img/li.png',
  });
  man = await h.signUp({ nickName: '阿强', gender: 1 });
  woman = await h.signUp({ nickName: '阿珍', gender: 2 });
  other = await h.signUp({ nickName: '阿明', gender: 1 });
  await eventually(async () => h.im.groups.size === 1);
});
afterAll(async () => {
  await h?.close();
});

/** Messages delivered from now on: `take(n)` waits for n more and answers them. */
function messagesFrom(im: FakeTencentIm) {
  const start = im.messages.length;
  return async (count: number) => {
    await eventually(async () => im.messages.length >= start + count);
    return im.messages.slice(start).map(({ kind, to, text }: DeliveredImMessage) => ({ kind, to, text }));
  };
}

const notify = (command: string, body: unknown, query: Record<string, string> = {}) =>
  h.server.request(
    'POST',
    `${QLIVE}/im_notify/?${new URLSearchParams({
      SdkAppid: String(h.im.sdkAppId),
      CallbackCommand: command,
      contenttype: 'json',
      ClientIP: '1.2.3.4',
      OptPlatform: 'Web',
      ...query,
    })}`,
    { body },
  );

const OK = { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 };

describe('QLive over Tencent IM', () => {
  it('answers matchmaker_enter with the IM group Tencent made for her, and every room answer carries it', async () => {
    groupId = [...h.im.groups.keys()][0] ?? '';
    expect(groupId).toMatch(/^@TGS#/);
    const opened = await h.post('/qlive_room/matchmaker_enter/', matchmaker.token);
    expect(opened.body).toMatchObject({ status: 'ok', group_id: groupId });
    liveId = Number(opened.body.live_id);
    expect((await h.get('/get_livelist/', man.token)).body[0].group_id).toBe(groupId);
    expect((await h.get('/get_playurl/', man.token, { live_id: liveId })).body.group_id).toBe(groupId);
    expect((await h.get('/qlive_user/get_user_state/', man.token)).body.group_id).toBe(groupId);
  });

  it('a mic holder who logs out frees his seat: reset off to the room, then num to the matchmaker', async () => {
    await h.get('/get_playurl/', woman.token, { live_id: liveId });
    await h.post('/qlive_room/apply_micro/', man.token, { live_id: liveId });
    await h.post('/qlive_room/accept_micro/', man.token, { live_id: liveId });
    const take = messagesFrom(h.im);
    const out = await h.get('/qlive_user/logout/', man.token);
    expect(out).toMatchObject({ status: 200, body: { detail: 'OK' } });
    expect(await take(2)).toEqual([
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
    const state = await h.get('/get_playurl/', woman.token, { live_id: liveId });
    expect(state.body.male.user_id).toBe('');
  });

  it('answers IM callbacks at once, with the documented FAIL for a foreign app or an unknown command', async () => {
    expect((await notify('State.StateChange', {}, { SdkAppid: '1400000001' })).body).toEqual({
      ActionStatus: 'FAIL',
      ErrorInfo: 'SdkAppid Error',
      ErrorCode: 0,
    });
    expect((await notify('State.StateChange', {}, { SdkAppid: 'abc' })).body.ErrorInfo).toBe(
      'SdkAppid Error',
    );
    const joined = await notify('Group.CallbackAfterNewMemberJoin', { GroupId: groupId });
    expect(joined).toMatchObject({
      status: 200,
      body: { ActionStatus: 'FAIL', ErrorInfo: 'CallbackCommand Error', ErrorCode: 0 },
    });
    const login = await notify('State.StateChange', {
      CallbackCommand: 'State.StateChange',
      EventTime: Date.now(),
      Info: { Action: 'Disconnect', To_Account: String(woman.userId), Reason: 'LinkClose' },
    });
    expect(login).toMatchObject({ status: 200, body: OK });
    expect(await h.userType(woman.token)).toBe(1);
  });

  it('members who left the IM group are out of the room, and the matchmaker is told the counts', async () => {
    const take = messagesFrom(h.im);
    await h.get('/get_playurl/', other.token, { live_id: liveId });
    const exited = await notify('Group.CallbackAfterMemberExit', {
      CallbackCommand: 'Group.CallbackAfterMemberExit',
      GroupId: groupId,
      Type: 'AVChatRoom',
      ExitType: 'Quit',
      Operator_Account: String(woman.userId),
      ExitMemberList: [{ Member_Account: String(woman.userId) }],
    });
    expect(exited.body).toEqual(OK);
    const [entered, counted] = await take(2);
    expect(entered?.text).toEqual({ content: { group_id: groupId, num_list: [0, 1, 0, 1] }, type: 'num' });
    expect(counted?.text).toEqual({ content: { group_id: groupId, num_list: [0, 1, 0, 0] }, type: 'num' });
    expect(await h.userType(woman.token)).toBe(0);
  });

  it('a stalled, then failing IM API changes no answer, and every message goes out in order once it is back', async () => {
    const take = messagesFrom(h.im);
    await h.get('/get_playurl/', woman.token, { live_id: liveId });
    await take(1);
    h.im.stall();
    const applied = await h.post('/qlive_room/apply_micro/', woman.token, { live_id: liveId });
    expect(applied).toMatchObject({ status: 200, body: { detail: 'OK' } });
    // Tencent took the message but its answer never came: the queue sends it again, same random.
    await eventually(async () => h.im.callsOf('openim/sendmsg').some((call) => call.outcome === 'duplicate'));
    h.im.setDown(true);
    h.im.release();
    const accepted = await h.post('/qlive_room/accept_micro/', woman.token, { live_id: liveId });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ user_id: String(woman.userId), seat: 'female', user_type: 4 });
    const left = await h.get('/qlive_room/leave_room/', other.token, { live_id: liveId });
    expect(left).toMatchObject({ status: 200, body: { detail: 'OK' } });
    await eventually(async () => h.im.calls.filter((call) => call.outcome === 'injected').length >= 2);
    h.im.setDown(false);
    const sent = await take(4);
    expect(sent.map((message) => message.text)).toEqual([
      { content: { group_id: groupId, num_list: [0, 1, 0, 1] }, type: 'num' }, // she entered
      { content: { group_id: groupId, num_list: [0, 1, 1, 1] }, type: 'num' }, // applied
      { content: { group_id: groupId, num_list: [0, 1, 0, 1] }, type: 'num' }, // took the seat
      { content: { group_id: groupId, num_list: [0, 0, 0, 1] }, type: 'num' }, // he left
    ]);
    // Nothing was shown twice, though the stalled call reached Tencent and was sent again.
    const randoms = h.im.messages.map((message) => message.random);
    expect(new Set(randoms).size).toBe(randoms.length);
  });

  it('the host’s IM logout ends the room with over to the group; the group stays', async () => {
    const take = messagesFrom(h.im);
    const out = await notify('State.StateChange', {
      CallbackCommand: 'State.StateChange',
      EventTime: Date.now(),
      Info: { Action: 'Logout', To_Account: String(matchmaker.userId), Reason: 'Unregister' },
    });
    expect(out.body).toEqual(OK);
    expect(await take(1)).toEqual([{ kind: 'group', to: groupId, text: { content: '', type: 'over' } }]);
    await eventually(async () => (await h.userType(woman.token)) === 0);
    expect(await h.userType(matchmaker.token)).toBe(0);
    expect(h.im.groups.has(groupId)).toBe(true);
    expect(h.im.callsOf('group_open_http_svc/destroy_group')).toEqual([]);
  });

  it('renames her group when her nickname changes, sending only what changed', async () => {
    const renamed = await h.post('/qlive_user/update_userinfo/', matchmaker.token, { nickname: '李老师' });
    expect(renamed.status).toBe(200);
    await eventually(async () => h.im.groups.get(groupId)?.name === '李老师');
    const [call] = h.im.callsOf('group_open_http_svc/modify_group_base_info');
    expect(call?.body).toEqual({ GroupId: groupId, Name: '李老师' });
  });

  it('makes a new group at matchmaker_enter when Tencent lost hers, and answers its id', async () => {
    h.im.dissolve(groupId);
    const opened = await h.post('/qlive_room/matchmaker_enter/', matchmaker.token);
    expect(opened.body.status).toBe('ok');
    const newGroupId = opened.body.group_id;
    expect(newGroupId).not.toBe(groupId);
    expect(h.im.groups.get(newGroupId)).toMatchObject({ type: 'AVChatRoom', name: '李老师' });
    expect((await h.get('/qlive_user/get_user_state/', matchmaker.token)).body.group_id).toBe(newGroupId);
  });
});

describe('IM callbacks with a callback token', () => {
  let im: FakeTencentIm;
  let server: TestServer;
  beforeAll(async () => {
    im = await startFakeTencentIm();
    server = await startTestServer(
      'qlive_im_token',
      imEnv(im, { TENCENT_IM_CALLBACK_TOKEN: 'callback-token-1' }),
    );
  });
  afterAll(async () => {
    await server?.close();
    await im?.close();
  });

  const call = (query: Record<string, string>) =>
    server.request(
      'POST',
      `${QLIVE}/im_notify?${new URLSearchParams({ SdkAppid: String(im.sdkAppId), CallbackCommand: 'State.StateChange', ...query })}`,
      { body: { CallbackCommand: 'State.StateChange', Info: { Action: 'Login', To_Account: '1' } } },
    );

  it('takes a callback signed with the token, and refuses a missing, wrong or stale signature', async () => {
    const now = String(Math.floor(Date.now() / 1000));
    expect((await call({ RequestTime: now, Sign: imCallbackSign('callback-token-1', now) })).body).toEqual(
      OK,
    );
    const refused = { ActionStatus: 'FAIL', ErrorInfo: 'Sign Error', ErrorCode: 0 };
    expect((await call({})).body).toEqual(refused);
    expect((await call({ RequestTime: now, Sign: imCallbackSign('other-token', now) })).body).toEqual(
      refused,
    );
    const stale = String(Math.floor(Date.now() / 1000) - 3600);
    expect(
      (await call({ RequestTime: stale, Sign: imCallbackSign('callback-token-1', stale) })).body,
    ).toEqual(refused);
  });
});
