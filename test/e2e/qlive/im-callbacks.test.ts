/**
 * Tencent IM's callbacks are durable work (rooms/im-callbacks.ts): `im_notify/` answers once the
 * callback is stored, a callback delivered twice is worked once, and work that fails is retried,
 * by the next process if the one that took the callback stops, until it is done.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { eventually } from '../../helpers/clients.js';
import { type DeliveredImMessage, type FakeTencentIm, imEnv } from '../../helpers/fake-tencent-im.js';
import { QLIVE, type QliveHarness, type SignedUp, startQliveHarness } from './qlive-harness.js';

let h: QliveHarness;
let successor: TestServer | undefined;
let matchmaker: { userId: number; token: string };
let man: SignedUp;
let woman: SignedUp;
let liveId: number;
let groupId: string;

beforeAll(async () => {
  h = await startQliveHarness('qlive_im_callbacks');
  matchmaker = await h.server.createUser({ role: 'matchmaker', nickname: '周红娘' });
  man = await h.signUp({ nickName: '阿伟', gender: 1 });
  woman = await h.signUp({ nickName: '阿芳', gender: 2 });
  const opened = await h.post('/qlive_room/matchmaker_enter/', matchmaker.token);
  liveId = Number(opened.body.live_id);
  groupId = opened.body.group_id;
  await h.get('/get_playurl/', man.token, { live_id: liveId });
  await h.get('/get_playurl/', woman.token, { live_id: liveId });
  await eventually(async () => h.im.messages.length >= 2);
});
afterAll(async () => {
  await successor?.close();
  await h?.close();
});

const OK = { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 };

/** Messages delivered from now on: `take(n)` waits for n more and answers their texts. */
function messagesFrom(im: FakeTencentIm) {
  const start = im.messages.length;
  return async (count: number) => {
    await eventually(async () => im.messages.length >= start + count, 15_000);
    return im.messages.slice(start).map(({ text }: DeliveredImMessage) => text);
  };
}

const exitOf = (user: SignedUp) => ({
  CallbackCommand: 'Group.CallbackAfterMemberExit',
  EventTime: Date.now(),
  GroupId: groupId,
  Type: 'AVChatRoom',
  ExitType: 'Quit',
  Operator_Account: String(user.userId),
  ExitMemberList: [{ Member_Account: String(user.userId) }],
});

const notify = (server: TestServer, body: Record<string, unknown>) =>
  server.request(
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

const userTypeAt = async (server: TestServer, user: SignedUp) =>
  (
    await server.request('GET', `${QLIVE}/qlive_user/get_user_state/`, {
      headers: { authorization: `QLiveToken ${user.token}` },
    })
  ).body.user_type;

/** The count of one outcome of one command on the server's /metrics. */
async function callbackCount(server: TestServer, command: string, outcome: string): Promise<number> {
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  const line = metrics
    .split('\n')
    .find((row) => row.startsWith(`qlive_im_callbacks_total{command="${command}",outcome="${outcome}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function onDatabase(server: TestServer, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const num = (menPresent: number, womenPresent: number) => ({
  content: { group_id: groupId, num_list: [0, menPresent, 0, womenPresent] },
  type: 'num',
});

describe('IM callbacks as durable work', () => {
  it('works a callback Tencent delivers twice once', async () => {
    const take = messagesFrom(h.im);
    const exit = exitOf(woman);
    expect((await notify(h.server, exit)).body).toEqual(OK);
    expect(await take(1)).toEqual([num(1, 0)]);
    expect(await h.userType(woman.token)).toBe(0);
    // She comes back; the same callback arriving again must not take her out a second time.
    await h.get('/get_playurl/', woman.token, { live_id: liveId });
    expect((await notify(h.server, exit)).body).toEqual(OK);
    expect((await notify(h.server, exitOf(man))).body).toEqual(OK);
    await eventually(async () => (await h.userType(man.token)) === 0);
    expect(await take(3)).toEqual([num(1, 0), num(1, 1), num(0, 1)]);
    expect(await h.userType(woman.token)).toBe(1);
    const exits = (outcome: string) => callbackCount(h.server, 'Group.CallbackAfterMemberExit', outcome);
    expect(await exits('stored')).toBe(3);
    await eventually(async () => (await exits('done')) >= 2);
    expect(await exits('done')).toBe(2);
  });

  it('retries work that fails, and the next process finishes it when the one that took it stops', async () => {
    const take = messagesFrom(h.im);
    // Postgres loses the rooms table: the member's exit cannot find the group's room.
    await onDatabase(h.server, 'ALTER TABLE live_rooms RENAME TO live_rooms_away');
    expect((await notify(h.server, exitOf(woman))).body).toEqual(OK);
    await eventually(
      async () => (await callbackCount(h.server, 'Group.CallbackAfterMemberExit', 'retry')) >= 1,
    );
    expect(await userTypeAt(h.server, woman)).toBe(1);
    await h.server.stop();
    await onDatabase(h.server, 'ALTER TABLE live_rooms_away RENAME TO live_rooms');
    successor = await startTestServer('qlive_im_callbacks', imEnv(h.im), {
      databaseUrl: h.server.databaseUrl,
      redisPrefix: h.server.redisPrefix,
      adminToken: h.server.adminToken,
    });
    expect(await take(1)).toEqual([num(0, 0)]);
    expect(await userTypeAt(successor, woman)).toBe(0);
    expect(await callbackCount(successor, 'Group.CallbackAfterMemberExit', 'done')).toBe(1);
  });
});
