/**
 * The whole QLive evening as Tencent IM sees it (issue #16's check): the matchmaker opens her room,
 * three guests enter, two apply and take the mics, one mic holder logs out, a guest leaves the IM
 * group, the other mic holder and then the host log out of IM. Played twice on one server: with a
 * healthy IM API, asserting every IM call and message text in order; then with the IM API down,
 * stalled and down again throughout, asserting the same HTTP answers and, once IM is back, the
 * same messages in the same order, none lost and none shown twice.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/clients.js';
import type { RecordedImCall } from '../../helpers/fake-tencent-im.js';
import { QLIVE, type QliveHarness, startQliveHarness } from './qlive-harness.js';

let h: QliveHarness;

beforeAll(async () => {
  h = await startQliveHarness('qlive_im_evening');
});
afterAll(async () => {
  await h?.close();
});

interface Person {
  userId: number;
  token: string;
}

interface Cast {
  matchmaker: Person;
  /** Two men and a woman. */
  qiang: Person;
  ming: Person;
  fang: Person;
  groupId: string;
}

async function storedGroupOf(userId: number): Promise<string | null> {
  const client = new pg.Client({ connectionString: h.server.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query('select im_group_id from users where id = $1', [userId]);
    return rows[0]?.im_group_id ?? null;
  } finally {
    await client.end();
  }
}

/** The people of one evening; her IM group is made when the admin API makes her a matchmaker. */
async function castOf(): Promise<Cast> {
  const matchmaker = await h.server.createUser({ role: 'matchmaker', nickname: '王红娘', gender: 2 });
  const group = await eventually(async () =>
    [...h.im.groups.values()].find((candidate) => candidate.owner === String(matchmaker.userId)),
  );
  // Tencent made it; the server stores its id once the answer is back (the queue's follow-up).
  await eventually(async () => (await storedGroupOf(matchmaker.userId)) === group.groupId);
  const guest = (nickname: string, gender: 1 | 2) => h.server.createUser({ role: 'guest', nickname, gender });
  return {
    matchmaker,
    qiang: await guest('阿强', 1),
    ming: await guest('阿明', 1),
    fang: await guest('阿芳', 2),
    groupId: group.groupId,
  };
}

/** Ids and signed URLs differ between evenings: each is replaced by its part in the evening. */
function normalized(value: unknown, names: Map<string, string>, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => normalized(item, names));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([field, item]) => [field, normalized(item, names, field)]),
    );
  if (/(^|_)id$/.test(key) && names.has(String(value))) return names.get(String(value));
  if (typeof value === 'string')
    return value
      .replace(/room_(\d+)_(\d+)/g, (_, live, user) => `room_${names.get(live)}_${names.get(user)}`)
      .replace(/txSecret=[0-9a-f]+&txTime=[0-9A-F]+/g, 'txSecret=…&txTime=…');
  return value;
}

const callback = (body: Record<string, unknown>) =>
  h.server.request(
    'POST',
    `${QLIVE}/im_notify/?${new URLSearchParams({
      SdkAppid: String(h.im.sdkAppId),
      CallbackCommand: String(body.CallbackCommand),
      contenttype: 'json',
      ClientIP: '1.2.3.4',
      OptPlatform: 'Web',
    })}`,
    { body },
  );

const imLogout = (person: Person) =>
  callback({
    CallbackCommand: 'State.StateChange',
    EventTime: Date.now(),
    Info: { Action: 'Logout', To_Account: String(person.userId), Reason: 'Unregister' },
  });

const OK = { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 };

/**
 * Plays the evening; `between` runs before each act (the IM API's weather). Answers every HTTP
 * answer, normalized, after checking what each act must answer whatever IM does.
 */
async function playEvening(cast: Cast, between: (act: number) => Promise<void> | void) {
  const { matchmaker, qiang, ming, fang, groupId } = cast;
  const answers: unknown[] = [];
  const names = new Map<string, string>([
    [String(matchmaker.userId), '<matchmaker>'],
    [String(qiang.userId), '<qiang>'],
    [String(ming.userId), '<ming>'],
    [String(fang.userId), '<fang>'],
    [groupId, '<group>'],
  ]);
  const answered = async (request: Promise<{ status: number; body: unknown }>) => {
    const { status, body } = await request;
    answers.push({ status, body });
    return { status, body: body as Record<string, unknown> };
  };

  await between(1);
  const opened = await answered(h.post('/qlive_room/matchmaker_enter/', matchmaker.token));
  expect(opened.body).toMatchObject({ status: 'ok', group_id: groupId });
  const liveId = Number(opened.body.live_id);
  names.set(String(liveId), '<live>');
  for (const guest of [qiang, ming, fang]) {
    const entered = await answered(h.get('/get_playurl/', guest.token, { live_id: liveId }));
    expect(entered.body).toMatchObject({ user_type: 1, group_id: groupId });
  }
  for (const applicant of [qiang, fang]) {
    const applied = await answered(h.post('/qlive_room/apply_micro/', applicant.token, { live_id: liveId }));
    expect(applied).toEqual({ status: 200, body: { detail: 'OK' } });
  }

  await between(2);
  const his = await answered(h.post('/qlive_room/accept_micro/', qiang.token, { live_id: liveId }));
  expect(his.body).toMatchObject({ code: 'success', seat: 'male', user_type: 3 });
  const hers = await answered(
    h.post('/qlive_room/accept_micro/', matchmaker.token, { live_id: liveId, user_id: fang.userId }),
  );
  expect(hers.body).toMatchObject({ code: 'success', seat: 'female', user_type: 4 });
  const loggedOut = await answered(h.get('/qlive_user/logout/', qiang.token));
  expect(loggedOut).toEqual({ status: 200, body: { detail: 'OK' } });

  await between(3);
  const exited = await answered(
    callback({
      CallbackCommand: 'Group.CallbackAfterMemberExit',
      EventTime: Date.now(),
      GroupId: groupId,
      Type: 'AVChatRoom',
      ExitType: 'Quit',
      Operator_Account: String(ming.userId),
      ExitMemberList: [{ Member_Account: String(ming.userId) }],
    }),
  );
  expect(exited.body).toEqual(OK);
  await eventually(async () => (await h.userType(ming.token)) === 0);
  expect((await answered(imLogout(fang))).body).toEqual(OK);
  await eventually(async () => (await h.userType(fang.token)) === 0);
  expect((await answered(imLogout(matchmaker))).body).toEqual(OK);
  await eventually(async () => (await h.userType(matchmaker.token)) === 0);
  // The room's row is marked ended by an effect of the transition, just after it.
  await eventually(async () => (await h.get('/get_livelist/', ming.token)).body.length === 0);
  const list = await answered(h.get('/get_livelist/', ming.token));
  expect(list).toEqual({ status: 200, body: [] });
  return normalized(answers, names);
}

/** What the evening tells over IM, in order: `num` C2C to the matchmaker, `reset` off and `over` to the group. */
function eveningMessages({ matchmaker, qiang, fang, groupId }: Cast) {
  const num = (numList: number[]) => ({
    kind: 'c2c',
    to: String(matchmaker.userId),
    text: { content: { group_id: groupId, num_list: numList }, type: 'num' },
  });
  const off = (person: Person, gender: 1 | 2) => ({
    kind: 'group',
    to: groupId,
    text: {
      content: {
        content_type: 'off',
        user_id: String(person.userId),
        play_url: '',
        nickname: '',
        area: '',
        age: '',
        face_url: '',
        gender,
      },
      type: 'reset',
    },
  });
  return [
    num([0, 1, 0, 0]), // 阿强, 阿明, 阿芳 enter
    num([0, 2, 0, 0]),
    num([0, 2, 0, 1]),
    num([1, 2, 0, 1]), // 阿强 and 阿芳 apply
    num([1, 2, 1, 1]),
    num([0, 2, 1, 1]), // 阿强 takes the male seat, the matchmaker seats 阿芳
    num([0, 2, 0, 1]),
    off(qiang, 1), // 阿强 logs out on the mic
    num([0, 1, 0, 1]),
    num([0, 0, 0, 1]), // 阿明 leaves the IM group
    off(fang, 2), // 阿芳 logs out of IM on the mic
    num([0, 0, 0, 0]),
    { kind: 'group', to: groupId, text: { content: '', type: 'over' } }, // the host logs out of IM
  ];
}

/** The IM calls and messages that concern this evening's room, from `start` on. */
function imTrafficFrom(start: { calls: number; messages: number }, cast: Cast) {
  const ours = (to: unknown) => to === cast.groupId || to === String(cast.matchmaker.userId);
  const calls = h.im.calls
    .slice(start.calls)
    .filter(
      (call: RecordedImCall) =>
        call.command.startsWith('group_open_http_svc/') || call.command === 'openim/sendmsg',
    )
    .filter((call) => {
      const { GroupId, To_Account, GroupIdList } = call.body as Record<string, unknown>;
      return ours(GroupId) || ours(To_Account) || (Array.isArray(GroupIdList) && GroupIdList.some(ours));
    });
  const messages = h.im.messages
    .slice(start.messages)
    .filter((message) => ours(message.to))
    .map(({ kind, to, text }) => ({ kind, to, text }));
  return { calls, messages };
}

const mark = () => ({ calls: h.im.calls.length, messages: h.im.messages.length });

let healthyAnswers: unknown;

describe('the QLive evening over Tencent IM', () => {
  it('makes exactly the IM calls of the spec, with the message texts, in order', async () => {
    const cast = await castOf();
    const start = mark();
    healthyAnswers = await playEvening(cast, () => {});
    const expected = eveningMessages(cast);
    await eventually(async () => imTrafficFrom(start, cast).messages.length >= expected.length, 15_000);
    const { calls, messages } = imTrafficFrom(start, cast);
    expect(messages).toEqual(expected);
    // matchmaker_enter checks her group at Tencent; every other call is one of the evening's messages.
    const toOf = (message: { kind: string }) =>
      message.kind === 'c2c' ? 'openim/sendmsg' : 'group_open_http_svc/send_group_msg';
    expect(calls.map((call) => [call.command, call.outcome])).toEqual([
      ['group_open_http_svc/get_group_info', 'ok'],
      ...expected.map((message) => [toOf(message), 'ok']),
    ]);
    expect(calls[0]?.body).toEqual({ GroupIdList: [cast.groupId] });
    for (const [index, call] of calls.slice(1).entries()) {
      const message = expected[index];
      if (message?.kind === 'c2c')
        expect(call.body).toMatchObject({ To_Account: message.to, SyncOtherMachine: 2, MsgLifeTime: 60 });
      else expect(call.body).toMatchObject({ GroupId: message?.to });
      expect(call.body.MsgBody).toEqual([
        { MsgType: 'TIMTextElem', MsgContent: { Text: expect.any(String) } },
      ]);
    }
  });

  it('answers the same with the IM API down, stalled, then down again, and loses no message once it is back', async () => {
    const cast = await castOf();
    const start = mark();
    const ourFailures = () =>
      imTrafficFrom(start, cast).calls.filter((call) => call.outcome === 'injected').length;
    const answers = await playEvening(cast, async (act) => {
      if (act === 1) h.im.setDown(true);
      if (act === 2) {
        h.im.setDown(false);
        h.im.stall();
      }
      if (act === 3) {
        // Tencent took a message whose answer never came: the queue sends it again, same random.
        await eventually(async () =>
          imTrafficFrom(start, cast).calls.some((call) => call.outcome === 'duplicate'),
        );
        h.im.setDown(true);
        h.im.release();
      }
    });
    expect(answers).toEqual(healthyAnswers);
    // Nothing of the evening got through while IM was down but what reached Tencent while it stalled.
    const during = imTrafficFrom(start, cast);
    expect(during.messages.length).toBeLessThan(eveningMessages(cast).length);
    expect(during.calls.some((call) => call.outcome === 'injected')).toBe(true);

    // Down long enough for the queue to have tried again and again.
    const failedBefore = ourFailures();
    await eventually(async () => ourFailures() >= failedBefore + 5, 15_000);
    h.im.setDown(false);
    const expected = eveningMessages(cast);
    await eventually(async () => imTrafficFrom(start, cast).messages.length >= expected.length, 30_000);
    const after = imTrafficFrom(start, cast);
    expect(after.messages).toEqual(expected);
    const randoms = h.im.messages.slice(start.messages).map((message) => message.random);
    expect(new Set(randoms).size).toBe(randoms.length);
  });
});
