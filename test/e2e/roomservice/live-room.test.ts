/**
 * Tencent's live-room component against this server, as `liveroom.js` drives it: login, push URL,
 * room, pusher, heartbeats, a viewer listing rooms and reading the pushers, leaving and destroying,
 * and a silent pusher dropped by the server (heartbeat timeout shortened).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { eventually } from '../../helpers/clients.js';
import { LiveRoomClient, userSigFor } from '../../helpers/liveroom-client.js';

let server: TestServer;
/** The same server with short pusher and empty-room timeouts, for the tests of the timers themselves. */
let timers: TestServer;
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const PUSH_KEY = 'test-push-key';
const PLAY_KEY = 'test-play-key';
let counter = 0;
const newUserId = (label: string) => `${label}_${Date.now().toString(36)}${counter++}`;

const streams = {
  LIVE_PUSH_DOMAIN: 'push.example.com',
  LIVE_PLAY_DOMAIN: 'play.example.com',
  LIVE_PUSH_KEY: PUSH_KEY,
  LIVE_PLAY_KEY: PLAY_KEY,
  LIVE_BIZID: '8888',
};

beforeAll(async () => {
  server = await startTestServer('roomservice', streams);
  timers = await startTestServer('roomservice_timers', {
    ...streams,
    ROOMSERVICE_HEARTBEAT_TIMEOUT_MS: '1000',
    ROOMSERVICE_EMPTY_ROOM_TIMEOUT_MS: '1000',
  });
});
afterAll(async () => {
  await server.close();
  await timers.close();
});

async function loggedIn(
  label: string,
  serverDomain?: string,
  on: TestServer = server,
): Promise<LiveRoomClient> {
  const client = new LiveRoomClient(on, newUserId(label), serverDomain);
  const answer = await client.login();
  expect(answer).toMatchObject({
    status: 200,
    code: 0,
    body: { message: '请求成功', userID: client.userID },
  });
  expect(client.token).toMatch(/^[0-9a-f]{32}$/);
  return client;
}

/** get_push_url, create_room, add_pusher: what liveroom.js's createRoom does. */
async function openRoom(anchor: LiveRoomClient, roomInfo = 'evening show') {
  const push = await anchor.request('get_push_url', { userID: anchor.userID });
  expect(push.code).toBe(0);
  const created = await anchor.request('create_room', { userID: anchor.userID, roomInfo });
  expect(created.code).toBe(0);
  const roomID: string = created.body.roomID;
  const added = await anchor.request('add_pusher', {
    roomID,
    userID: anchor.userID,
    userName: 'Xiaomei',
    userAvatar: 'https://example.com/a.png',
    pushURL: push.body.pushURL,
  });
  expect(added.code).toBe(0);
  return { roomID, pushURL: push.body.pushURL as string };
}

describe('liveroom.js against /weapp/live_room/', () => {
  it('runs a room: anchor opens and beats, a viewer lists it and reads the pushers, the anchor destroys it', async () => {
    const anchor = await loggedIn('anchor');
    const push = await anchor.request('get_push_url', { userID: anchor.userID });
    const stream = `8888_${anchor.userID}`;
    const [, txTime] = push.body.pushURL.match(/txTime=([0-9A-F]+)$/);
    expect(push.body.pushURL).toBe(
      `rtmp://push.example.com/live/${stream}?bizid=8888&txSecret=${md5(PUSH_KEY + stream + txTime)}&txTime=${txTime}`,
    );

    const created = await anchor.request('create_room', { userID: anchor.userID, roomInfo: 'evening show' });
    expect(created).toMatchObject({ status: 200, code: 0, body: { message: '请求成功' } });
    const roomID: string = created.body.roomID;
    expect(roomID).toMatch(/^room_[0-9a-f]{8}_[0-9a-f]{4}$/);
    const added = await anchor.request('add_pusher', {
      roomID,
      userID: anchor.userID,
      userName: 'Xiaomei',
      userAvatar: 'https://example.com/a.png',
      pushURL: push.body.pushURL,
    });
    expect(added.code).toBe(0);
    expect((await anchor.request('pusher_heartbeat', { roomID, userID: anchor.userID })).code).toBe(0);

    const viewer = await loggedIn('viewer');
    const list = await viewer.request('get_room_list', { index: 0, cnt: 20 });
    expect(list.code).toBe(0);
    const listed = list.body.rooms.find((room: { roomID: string }) => room.roomID === roomID);
    const accelerateURL = `rtmp://play.example.com/live/${stream}?bizid=8888&txSecret=${md5(PLAY_KEY + stream + txTime)}&txTime=${txTime}`;
    expect(listed).toEqual({
      roomID,
      roomInfo: 'evening show',
      roomCreator: anchor.userID,
      mixedPlayURL: `http://play.example.com/live/${stream}.flv`,
      pushers: [
        {
          userID: anchor.userID,
          userName: 'Xiaomei',
          userAvatar: 'https://example.com/a.png',
          accelerateURL,
        },
      ],
    });

    const entered = await viewer.request('add_audience', {
      roomID,
      userID: viewer.userID,
      userInfo: JSON.stringify({ userName: 'Dawei', userAvatar: '' }),
    });
    expect(entered.code).toBe(0);
    const pushers = await viewer.request('get_pushers', { roomID });
    expect(pushers.body).toMatchObject({
      code: 0,
      roomID,
      roomCreator: anchor.userID,
      pushers: [{ accelerateURL }],
    });
    expect(JSON.stringify(pushers.body)).not.toContain(`txSecret=${md5(PUSH_KEY + stream + txTime)}`);
    const audiences = await anchor.request('get_audiences', { roomID });
    expect(audiences.body).toMatchObject({
      code: 0,
      audiences: [{ userID: viewer.userID }],
      audienceCount: 1,
    });
    expect((await viewer.request('delete_audience', { roomID, userID: viewer.userID })).code).toBe(0);

    // The admin panel lists it with the other machines, and draws its chart.
    const admin = { authorization: `Bearer ${server.adminToken}` };
    const machines = await server.request('GET', '/admin/api/machines?kind=live_room', { headers: admin });
    expect(machines.body.machines).toContainEqual(
      expect.objectContaining({ kind: 'live_room', id: roomID, state: 'live' }),
    );
    const detail = await server.request('GET', `/admin/api/machines/live_room/${roomID}`, { headers: admin });
    expect(detail.body).toMatchObject({ source: 'live', view: { roomID, state: 'live', audienceCount: 0 } });
    expect(JSON.stringify(detail.body.view)).not.toContain('rtmp://push.example.com');
    const chart = await server.request('GET', '/admin/api/charts/live_room', { headers: admin });
    expect(chart.status).toBe(200);
    expect(chart.body.svg).toContain('<svg');

    expect((await viewer.request('destroy_room', { roomID, userID: viewer.userID })).code).toBe(3);
    expect((await anchor.request('destroy_room', { roomID, userID: anchor.userID })).code).toBe(0);
    expect((await viewer.request('get_pushers', { roomID })).code).toBe(1);
    const after = await viewer.request('get_room_list', { index: 0, cnt: 20 });
    expect(after.body.rooms.map((room: { roomID: string }) => room.roomID)).not.toContain(roomID);
  });

  it('removes a room when its last pusher leaves, and a pusher who leaves is no longer a member', async () => {
    const anchor = await loggedIn('anchor');
    const guest = await loggedIn('guest');
    const { roomID } = await openRoom(anchor);
    const guestPush = await guest.request('get_push_url', { userID: guest.userID });
    const joined = await guest.request('add_pusher', {
      roomID,
      userID: guest.userID,
      userName: 'Dawei',
      userAvatar: '',
      pushURL: guestPush.body.pushURL,
    });
    expect(joined.code).toBe(0);
    expect((await guest.request('get_pushers', { roomID })).body.pushers).toHaveLength(2);

    expect((await guest.request('delete_pusher', { roomID, userID: guest.userID })).code).toBe(0);
    expect(await guest.request('delete_pusher', { roomID, userID: guest.userID })).toMatchObject({
      status: 409,
      code: 5,
      body: { message: '退出房间失败，不是房间成员' },
    });
    expect(await guest.request('pusher_heartbeat', { roomID, userID: guest.userID })).toMatchObject({
      code: 5,
      body: { message: '请求失败，不是房间成员' },
    });
    expect((await anchor.request('delete_pusher', { roomID, userID: anchor.userID })).code).toBe(0);
    expect((await anchor.request('get_pushers', { roomID })).code).toBe(1);
  });

  it('drops a pusher who stops beating, and keeps one who beats', async () => {
    const anchor = await loggedIn('anchor', undefined, timers);
    const silent = await loggedIn('silent', undefined, timers);
    const { roomID } = await openRoom(anchor);
    // The anchor keeps beating (well inside the 1 s timeout); the other pusher never does.
    const beating = setInterval(
      () => void anchor.request('pusher_heartbeat', { roomID, userID: anchor.userID }),
      150,
    );
    try {
      const push = await silent.request('get_push_url', { userID: silent.userID });
      const joined = await silent.request('add_pusher', {
        roomID,
        userID: silent.userID,
        userName: 'quiet',
        userAvatar: '',
        pushURL: push.body.pushURL,
      });
      expect(joined.code).toBe(0);
      await eventually(async () => {
        const pushers = await anchor.request('get_pushers', { roomID });
        return pushers.body.pushers?.length === 1 && pushers.body.pushers[0].userID === anchor.userID;
      }, 10_000);
    } finally {
      clearInterval(beating);
    }
    expect((await silent.request('pusher_heartbeat', { roomID, userID: silent.userID })).code).toBe(5);
    // The creator stops beating too: outside a call, her room goes with her.
    await eventually(async () => (await anchor.request('get_pushers', { roomID })).code === 1, 10_000);
  });

  it('removes a room nobody pushed to', async () => {
    const anchor = await loggedIn('anchor', undefined, timers);
    const created = await anchor.request('create_room', { userID: anchor.userID, roomInfo: '' });
    expect((await anchor.request('get_pushers', { roomID: created.body.roomID })).code).toBe(0);
    await eventually(
      async () => (await anchor.request('get_pushers', { roomID: created.body.roomID })).code === 1,
      8_000,
    );
  });

  it('serves the same commands on /weapp/double_room/ and /weapp/multi_room/, streams named <roomID>_<userID>', async () => {
    for (const domain of ['/weapp/double_room/', '/weapp/multi_room/']) {
      const member = await loggedIn('rtc', domain);
      const created = await member.request('create_room', { userID: member.userID, roomInfo: 'rtc' });
      const roomID = created.body.roomID;
      const push = await member.request('get_push_url', { userID: member.userID, roomID });
      expect(push.body.pushURL).toContain(`/live/8888_${roomID}_${member.userID}?bizid=8888&`);
      expect(
        (
          await member.request('add_pusher', {
            roomID,
            userID: member.userID,
            userName: 'r',
            userAvatar: '',
            pushURL: push.body.pushURL,
          })
        ).code,
      ).toBe(0);
      expect((await member.request('get_pushers', { roomID })).body.pushers).toHaveLength(1);
      expect((await member.request('destroy_room', { roomID, userID: member.userID })).code).toBe(0);
    }
  });

  it('answers merge_stream with result code -1 when mixing is not configured, and logout ends the token', async () => {
    const anchor = await loggedIn('anchor');
    const { roomID } = await openRoom(anchor);
    const merged = await anchor.request('merge_stream', {
      userID: anchor.userID,
      roomID,
      mergeParams: JSON.stringify({ timestamp: 1, eventId: 1, interface: {} }),
    });
    expect(merged.code).toBe(0);
    expect(merged.body.result.code).toBe(-1);
    expect((await anchor.request('logout', {})).code).toBe(0);
    expect(await anchor.request('get_room_list', { index: 0, cnt: 20 })).toMatchObject({
      status: 401,
      code: 7,
    });
  });
});

describe('bad input gets the protocol codes, never a 5xx', () => {
  it('login: missing parameters 4, a wrong or foreign userSig 7', async () => {
    const client = new LiveRoomClient(server, newUserId('x'));
    expect(await client.raw('login', {}, `userID=${client.userID}`)).toMatchObject({ status: 400, code: 4 });
    expect(await client.login('not-a-sig')).toMatchObject({ status: 401, code: 7 });
    expect(await client.login(userSigFor(server, 'someone_else'))).toMatchObject({ status: 401, code: 7 });
    const answer = await client.raw(
      'login',
      {},
      `sdkAppID=1&userID=${client.userID}&userSig=${userSigFor(server, client.userID)}`,
    );
    expect(answer).toMatchObject({ status: 401, code: 7 });
  });

  it('missing userID/token 2, a wrong token 7, missing body fields 2, roomInfo over 1024 characters 11, a full room 5001', async () => {
    const anchor = await loggedIn('anchor');
    expect(await anchor.raw('get_room_list', {}, '')).toMatchObject({
      status: 401,
      code: 2,
      body: { message: '请求失败，缺少参数' },
    });
    expect(
      await anchor.raw('get_room_list', {}, `userID=${anchor.userID}&token=${'0'.repeat(32)}`),
    ).toMatchObject({
      status: 401,
      code: 7,
      body: { message: '请求失败，鉴权失败' },
    });
    expect(await anchor.request('add_pusher', { roomID: 'room_x' })).toMatchObject({ status: 400, code: 2 });
    expect(
      await anchor.request('create_room', { userID: anchor.userID, roomInfo: 'x'.repeat(1025) }),
    ).toMatchObject({
      status: 400,
      code: 11,
    });
    expect(
      (await anchor.request('create_room', { userID: anchor.userID, roomInfo: '好'.repeat(1024) })).code,
    ).toBe(0);

    const { roomID, pushURL } = await openRoom(anchor);
    const forged = pushURL.replace(/txSecret=[0-9a-f]{32}/, `txSecret=${'0'.repeat(32)}`);
    expect(
      await anchor.request('add_pusher', {
        roomID,
        userID: anchor.userID,
        userName: '',
        userAvatar: '',
        pushURL: forged,
      }),
    ).toMatchObject({ status: 400, code: 2 });
    for (let i = 0; i < 3; i++) {
      const other = await loggedIn(`p${i}`);
      const push = await other.request('get_push_url', { userID: other.userID });
      const joined = await other.request('add_pusher', {
        roomID,
        userID: other.userID,
        userName: '',
        userAvatar: '',
        pushURL: push.body.pushURL,
      });
      expect(joined.code).toBe(0);
    }
    const fifth = await loggedIn('p5');
    const fifthPush = await fifth.request('get_push_url', { userID: fifth.userID });
    expect(
      await fifth.request('add_pusher', {
        roomID,
        userID: fifth.userID,
        userName: '',
        userAvatar: '',
        pushURL: fifthPush.body.pushURL,
      }),
    ).toMatchObject({ status: 409, code: 5001, body: { message: '超出房间人数上限' } });
    expect(await fifth.request('get_pushers', { roomID: 'room_00000000_0000' })).toMatchObject({
      status: 404,
      code: 1,
    });
    expect(await fifth.request('destroy_room', { roomID: 'room_00000000_0000' })).toMatchObject({
      status: 403,
      code: 3,
    });
    expect(await anchor.request('create_room', { userID: anchor.userID, roomID })).toMatchObject({
      status: 409,
      code: 11,
      body: { message: '房间已经存在' },
    });
  });
});
