/**
 * The IM side of RoomService rooms (tencent-roomservice.md §3), against the local IM stand-in: an
 * AVChatRoom group whose GroupId is the roomID, a notifyPusherChange group system notification
 * after every pusher change, destroy_group when the room goes, and code 6 when Tencent refuses
 * the group.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roomServiceRooms } from '../../../src/db/schema/index.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { eventually } from '../../helpers/clients.js';
import { type FakeTencentIm, imEnv, startFakeTencentIm } from '../../helpers/fake-tencent-im.js';
import { LiveRoomClient } from '../../helpers/liveroom-client.js';

let im: FakeTencentIm;
let server: TestServer;

beforeAll(async () => {
  im = await startFakeTencentIm();
  server = await startTestServer('roomservice_im', imEnv(im));
});
afterAll(async () => {
  await server.close();
  await im.close();
});

const notificationsTo = (roomID: string) =>
  im.messages.filter((message) => message.kind === 'group-system' && message.to === roomID);

async function pusher(client: LiveRoomClient, roomID: string) {
  const push = await client.request('get_push_url', { userID: client.userID });
  return client.request('add_pusher', {
    roomID,
    userID: client.userID,
    userName: client.userID,
    userAvatar: '',
    pushURL: push.body.pushURL,
  });
}

describe('RoomService rooms and their IM groups', () => {
  it('creates the AVChatRoom, notifies every pusher change, and destroys the group with the room', async () => {
    const anchor = new LiveRoomClient(server, 'im_anchor');
    const guest = new LiveRoomClient(server, 'im_guest');
    expect((await anchor.login()).code).toBe(0);
    expect((await guest.login()).code).toBe(0);
    const created = await anchor.request('create_room', {
      userID: anchor.userID,
      roomInfo: '今晚八点的相亲直播间，欢迎大家来玩',
    });
    expect(created.code).toBe(0);
    const roomID: string = created.body.roomID;
    const group = im.groups.get(roomID);
    expect(group).toMatchObject({ groupId: roomID, type: 'AVChatRoom', name: '今晚八点的相亲直播间' });

    expect((await pusher(anchor, roomID)).code).toBe(0);
    expect((await pusher(guest, roomID)).code).toBe(0);
    expect((await guest.request('delete_pusher', { roomID, userID: guest.userID })).code).toBe(0);
    await eventually(async () => notificationsTo(roomID).length === 3);
    for (const message of notificationsTo(roomID))
      expect(message.text).toEqual({ cmd: 'notifyPusherChange', data: '' });

    // Postgres knows the room as open while it is (what the lost-state reconciler reads) ...
    const rowsOf = () =>
      server.context.database.db
        .select({ closedAt: roomServiceRooms.closedAt, closeReason: roomServiceRooms.closeReason })
        .from(roomServiceRooms)
        .where(eq(roomServiceRooms.roomId, roomID));
    expect(await rowsOf()).toEqual([{ closedAt: null, closeReason: null }]);

    expect((await anchor.request('destroy_room', { roomID, userID: anchor.userID })).code).toBe(0);
    await eventually(async () => !im.groups.has(roomID));
    // ... and closed once it is gone.
    await eventually(async () => (await rowsOf())[0]?.closeReason === 'destroyed');
  });

  it('answers 6 and keeps no room when Tencent refuses the group', async () => {
    const anchor = new LiveRoomClient(server, 'im_refused');
    expect((await anchor.login()).code).toBe(0);
    im.failNext(1, { errorCode: 10004, command: 'group_open_http_svc/create_group' });
    const refused = await anchor.request('create_room', { userID: anchor.userID, roomID: 'room_refused_1' });
    expect(refused).toMatchObject({ status: 502, code: 6, body: { message: '群组创建失败' } });
    expect((await anchor.request('get_pushers', { roomID: 'room_refused_1' })).code).toBe(1);
  });
});
