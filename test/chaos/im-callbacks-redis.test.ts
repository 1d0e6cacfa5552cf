/**
 * An IM callback that arrives while Redis is down (qlive-realtime.md §5; rooms/im-callbacks.ts):
 * `im_notify/` cannot store it within its wait and says so (FAIL, which Tencent only logs), the
 * store goes on, and once Redis is back the callback's room work is done: the mic holder who
 * logged out of IM is off the mic, the room hears `reset` off and the matchmaker `num`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/redis/private-redis.js';
import { startTestServer, type TestServer } from '../helpers/app.js';
import { eventually } from '../helpers/clients.js';
import { imEnv, startFakeTencentIm } from '../helpers/fake-tencent-im.js';
import { startOwnRedis, stopOwnRedis } from '../helpers/own-redis.js';

const QLIVE = '/wx/api/qlive';
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

describe('an IM callback while Redis is down', () => {
  it('is answered FAIL at once, and its room work is done once Redis is back', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'co-redis-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    let redis = await startOwnRedis(port, dir);
    cleanups.push(() => stopOwnRedis(redis));
    const im = await startFakeTencentIm();
    cleanups.push(() => im.close());
    const server: TestServer = await startTestServer('im_callback_redis', {
      ...imEnv(im),
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    cleanups.push(() => server.close());
    const auth = (token: string) => ({ headers: { authorization: `QLiveToken ${token}` } });
    const matchmaker = await server.createUser({ role: 'matchmaker', nickname: '林红娘', gender: 2 });
    const man = await server.createUser({ role: 'guest', nickname: '阿杰', gender: 1 });
    const opened = await server.request('POST', `${QLIVE}/qlive_room/matchmaker_enter/`, {
      ...auth(matchmaker.token),
      body: {},
    });
    const liveId = Number(opened.body.live_id);
    const groupId = opened.body.group_id;
    expect(groupId).toMatch(/^@TGS#/);
    await server.request('GET', `${QLIVE}/get_playurl/?live_id=${liveId}`, auth(man.token));
    await server.request('POST', `${QLIVE}/qlive_room/apply_micro/`, {
      ...auth(man.token),
      body: { live_id: liveId },
    });
    const seated = await server.request('POST', `${QLIVE}/qlive_room/accept_micro/`, {
      ...auth(man.token),
      body: { live_id: liveId },
    });
    expect(seated.body).toMatchObject({ code: 'success', user_type: 3 });
    await eventually(async () => im.messages.length >= 3);
    const before = im.messages.length;

    await stopOwnRedis(redis);
    const answer = await server.request(
      'POST',
      `${QLIVE}/im_notify/?SdkAppid=${im.sdkAppId}&CallbackCommand=State.StateChange&contenttype=json`,
      {
        body: {
          CallbackCommand: 'State.StateChange',
          EventTime: Date.now(),
          Info: { Action: 'Logout', To_Account: String(man.userId), Reason: 'Unregister' },
        },
      },
    );
    expect(answer).toMatchObject({
      status: 200,
      body: { ActionStatus: 'FAIL', ErrorInfo: 'Callback Not Stored', ErrorCode: 0 },
    });

    redis = await startOwnRedis(port, dir);
    await eventually(async () => im.messages.length >= before + 2, 20_000);
    expect(
      im.messages.slice(before).map(({ kind, text }) => ({ kind, type: (text as { type: string }).type })),
    ).toEqual([
      { kind: 'group', type: 'reset' },
      { kind: 'c2c', type: 'num' },
    ]);
    const state = await server.request('GET', `${QLIVE}/qlive_user/get_user_state/`, auth(man.token));
    expect(state.body.user_type).toBe(0);
  }, 60_000);
});
