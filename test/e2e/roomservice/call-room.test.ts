/**
 * A paid call's RoomService room: create_room with guestId opens it for the call that waits for
 * one, the call's pushes carry its roomID, only the two parties push in it, it is never listed,
 * a party's silent pusher ends the call after the grace period, and the call ending closes it.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { connectClient, eventually, type TestClient } from '../../helpers/clients.js';
import { LiveRoomClient } from '../../helpers/liveroom-client.js';

let server: TestServer;
const sockets: TestClient[] = [];

beforeAll(async () => {
  server = await startTestServer('roomservice_call', {
    ROOMSERVICE_HEARTBEAT_TIMEOUT_MS: '1000',
    DISCONNECT_GRACE_MS: '400',
    RING_TIMEOUT_MS: '20000',
  });
});
afterAll(async () => {
  for (const socket of sockets) socket.close();
  await server.close();
});

const post = (path: string, body: Record<string, unknown>) => server.request('POST', path, { body });

/** A paid-call user speaking RoomService with the paid-call app's own token (spec §7). */
function withPaidCallToken(user: { userId: number; token: string }): LiveRoomClient {
  const client = new LiveRoomClient(server, String(user.userId));
  client.token = user.token;
  return client;
}

async function ringingCall() {
  const guest = await server.createUser({ role: 'guest', diamond: 10_000 });
  const anchor = await server.createUser({ role: 'anchor', unitPrice: 10 });
  const applied = await post('/app/live/callApplyGirl', { token: guest.token, targetUserId: anchor.userId });
  expect(applied.body.code).toBe(0);
  return { guest, anchor, callId: applied.body.roomInstanceId as number };
}

async function push(client: LiveRoomClient, roomID: string) {
  const url = await client.request('get_push_url', { userID: client.userID, roomID });
  expect(url.code).toBe(0);
  return client.request('add_pusher', {
    roomID,
    userID: client.userID,
    userName: client.userID,
    userAvatar: '',
    pushURL: url.body.pushURL,
  });
}

describe('a paid call’s room', () => {
  it('is opened by create_room with guestId, carried by the call, served to its parties only, and never listed', async () => {
    const { guest, anchor, callId } = await ringingCall();
    const guestSocket = await connectClient(server, guest.token);
    sockets.push(guestSocket);
    const anchorRs = withPaidCallToken(anchor);
    const created = await anchorRs.request('create_room', {
      userID: anchorRs.userID,
      roomInfo: '',
      guestId: guest.userId,
    });
    expect(created).toMatchObject({ status: 200, code: 0, body: { roomInstanceId: callId } });
    const roomID: string = created.body.roomID;
    const accepted = await guestSocket.next('call:update', (view) => view.state === 'accepted');
    expect(accepted.roomID).toBe(roomID);
    const matchInfo = await post('/app/live/getMatchInfo', {
      token: anchor.token,
      targetUserId: guest.userId,
    });
    expect(matchInfo.body).toMatchObject({ matchStatus: 1, roomID });

    // Not waiting any more: a second create_room for the same call is refused.
    const again = await anchorRs.request('create_room', { userID: anchorRs.userID, guestId: guest.userId });
    expect(again).toMatchObject({ status: 409, code: 409, body: { message: '没有待接通的通话' } });

    // The guest logs in to RoomService with a userSig (the other token kind) and pushes.
    const guestRs = new LiveRoomClient(server, String(guest.userId));
    expect((await guestRs.login()).code).toBe(0);
    const guestUrl = await guestRs.request('get_push_url', { userID: guestRs.userID, roomID });
    expect(guestUrl.body).toMatchObject({ code: 0, roomInstanceId: callId });
    expect(guestUrl.body.pushURL).toContain(`/live/${roomID}_${guest.userId}?`);
    expect((await push(guestRs, roomID)).code).toBe(0);
    expect((await push(anchorRs, roomID)).code).toBe(0);
    // Both keep beating, as the component does, while the rest is checked.
    const beating = setInterval(() => {
      void guestRs.request('pusher_heartbeat', { roomID, userID: guestRs.userID });
      void anchorRs.request('pusher_heartbeat', { roomID, userID: anchorRs.userID });
    }, 100);
    onTestFinished(() => clearInterval(beating));

    const stranger = await server.createUser({ role: 'guest' });
    const strangerRs = withPaidCallToken(stranger);
    expect(await strangerRs.request('get_push_url', { userID: strangerRs.userID, roomID })).toMatchObject({
      status: 403,
      code: 5,
    });
    const outsider = new LiveRoomClient(server, 'outsider_1');
    await outsider.login();
    const outsiderUrl = await outsider.request('get_push_url', { userID: outsider.userID });
    expect(
      await outsider.request('add_pusher', {
        roomID,
        userID: outsider.userID,
        userName: '',
        userAvatar: '',
        pushURL: outsiderUrl.body.pushURL,
      }),
    ).toMatchObject({ status: 403, code: 5 });

    const list = await outsider.request('get_room_list', { index: 0, cnt: 100 });
    expect(list.code).toBe(0);
    expect(list.body.rooms.map((room: { roomID: string }) => room.roomID)).not.toContain(roomID);
    expect((await outsider.request('get_pushers', { roomID })).body.pushers).toHaveLength(2);

    // The call ends: so does its room.
    expect(
      (await post('/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId })).body.code,
    ).toBe(0);
    await eventually(async () => (await outsider.request('get_pushers', { roomID })).code === 1);
  });

  it('answers 409 没有待接通的通话 when guestId names no call of the anchor waiting for a room', async () => {
    const anchor = await server.createUser({ role: 'anchor' });
    const guest = await server.createUser({ role: 'guest' });
    const answer = await withPaidCallToken(anchor).request('create_room', {
      userID: String(anchor.userId),
      guestId: guest.userId,
    });
    expect(answer).toMatchObject({ status: 409, code: 409, body: { message: '没有待接通的通话' } });
  });

  it('ends a live call when a party’s pusher goes silent past the grace period', async () => {
    const { guest, anchor, callId } = await ringingCall();
    const anchorRs = withPaidCallToken(anchor);
    const guestRs = withPaidCallToken(guest);
    const { roomID } = (await anchorRs.request('create_room', { guestId: guest.userId })).body;
    expect(
      (await post('/app/live/startCall', { token: anchor.token, targetUserId: guest.userId })).body.state,
    ).toBe('live');
    expect((await push(anchorRs, roomID)).code).toBe(0);
    expect((await push(guestRs, roomID)).code).toBe(0);

    // The anchor keeps beating; the guest's pusher never does.
    const beating = setInterval(
      () => void anchorRs.request('pusher_heartbeat', { roomID, userID: anchorRs.userID }),
      100,
    );
    try {
      const ended = await eventually(async () => {
        const answer = await post('/app/live/getCallResultMaster', {
          token: anchor.token,
          roomInstanceId: callId,
        });
        return answer.status === 200 ? answer.body : null;
      }, 10_000);
      expect(ended).toBeTruthy();
    } finally {
      clearInterval(beating);
    }
    const record = await post('/app/live/getCallRecordDesc', { token: anchor.token, recordId: callId });
    expect(record.status).toBe(200);
    const history = await server.context.runtime.history('call', String(callId));
    expect(history.map((entry) => entry.event.type)).toContain('DISCONNECTED');
    expect((await server.context.runtime.get('call', String(callId)))?.view).toMatchObject({
      reason: 'disconnect',
    });
    await eventually(async () => (await anchorRs.request('get_pushers', { roomID })).code === 1);
  });
});
