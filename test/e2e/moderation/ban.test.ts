import { eq } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../../src/db/schema/index.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { connectClient, eventually, type TestClient } from '../../helpers/clients.js';
import { liveCall, ringingCall } from './call-driver.js';

let server: TestServer;
const clients: TestClient[] = [];
beforeAll(async () => {
  server = await startTestServer('moderation_ban');
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server.close();
});

async function client(token: string): Promise<TestClient> {
  const opened = await connectClient(server, token);
  clients.push(opened);
  return opened;
}

const asAdmin = () => ({ authorization: `Bearer ${server.adminToken}` });
const ban = (userId: number, type: 'account' | 'stream', message: string) =>
  server.request('POST', `/admin/api/users/${userId}/ban`, { headers: asAdmin(), body: { type, message } });
const unban = (userId: number) =>
  server.request('POST', `/admin/api/users/${userId}/unban`, { headers: asAdmin(), body: {} });
const post = (path: string, body: Record<string, unknown>) => server.request('POST', path, { body });

async function callRecord(callId: string) {
  const db = new pg.Client({ connectionString: server.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query(
      'select end_reason, ban_title, ban_stream_status, minutes from call_records where id = $1',
      [callId],
    );
    return rows[0] ?? null;
  } finally {
    await db.end();
  }
}

describe('a ban during a live call', () => {
  it('ends the call at once; both apps are pushed the ban and the record and settlement carry title and streamStatus 2', async () => {
    const call = await liveCall(server);
    const guestApp = await client(call.guest.token);
    const anchorApp = await client(call.anchor.token);

    const bannedAt = Date.now();
    const banned = await ban(call.anchor.userId, 'stream', '直播违规，禁播3天');
    expect(banned.status).toBe(200);
    expect(banned.body.call).toEqual({ kind: 'call', id: call.callId, applied: true, state: 'ended' });

    // `ended` and `settled` follow each other at once; a client may see only the later one.
    const match = (view: { roomInstanceId: number; reason: string | null }) =>
      view.roomInstanceId === Number(call.callId) && view.reason === 'banned';
    const [toGuest, toAnchor] = await Promise.all([
      guestApp.next('call:update', match),
      anchorApp.next('call:update', match),
    ]);
    // Reported, not asserted: the ban-to-push time on this machine (the issue asks for under a second).
    console.info(`ban → call:update (banned) on both apps: ${Date.now() - bannedAt} ms`);
    for (const view of [toGuest, toAnchor]) {
      expect(view).toMatchObject({
        reason: 'banned',
        matchStatus: 3,
        ban: { userId: call.anchor.userId, type: 'stream', title: '直播违规，禁播3天' },
      });
    }

    const record = await eventually(() => callRecord(call.callId));
    expect(record).toEqual({
      end_reason: 'banned',
      ban_title: '直播违规，禁播3天',
      ban_stream_status: 2,
      minutes: 1,
    });
    const master = await post('/app/live/getCallResultMaster', {
      token: call.anchor.token,
      roomInstanceId: call.callId,
    });
    expect(master.body).toMatchObject({ code: 0, title: '直播违规，禁播3天', streamStatus: 2 });
    // The guest's screen shows why his call ended, without a streamStatus his app would act on.
    const guest = await post('/app/live/getCallResultGuest', {
      token: call.guest.token,
      roomInstanceId: call.callId,
    });
    expect(guest.body).toMatchObject({ code: 0, title: '直播违规，禁播3天' });
    expect(guest.body.streamStatus).toBeUndefined();
  });

  it('an account ban of the guest ends his call with streamStatus 0 on his settlement screen', async () => {
    const call = await liveCall(server);
    const banned = await ban(call.guest.userId, 'account', '账号违规，已封号');
    expect(banned.body.call).toMatchObject({ applied: true, state: 'ended' });
    const record = await eventually(() => callRecord(call.callId));
    expect(record).toMatchObject({
      end_reason: 'banned',
      ban_title: '账号违规，已封号',
      ban_stream_status: 0,
    });
    const guest = await post('/app/live/getCallResultGuest', {
      token: call.guest.token,
      roomInstanceId: call.callId,
    });
    expect(guest.body).toMatchObject({ code: 0, title: '账号违规，已封号', streamStatus: 0 });
  });

  it('also ends a call that is still ringing', async () => {
    const call = await ringingCall(server);
    const banned = await ban(call.guest.userId, 'account', 'spam');
    expect(banned.body.call).toMatchObject({ id: call.callId, applied: true, state: 'ended' });
    const record = await eventually(() => callRecord(call.callId));
    expect(record).toMatchObject({ end_reason: 'banned', ban_stream_status: 0, minutes: 0 });
  });
});

describe('a banned anchor', () => {
  it('cannot go live or be called until she is unbanned', async () => {
    const guest = await server.createUser({ role: 'guest', diamond: 1000 });
    const anchor = await server.createUser({ role: 'anchor' });
    await ban(anchor.userId, 'stream', '禁播');

    const room = await post('/weapp/live_room/create_room', { token: anchor.token });
    expect(room.status).toBe(403);
    expect(room.body.code).toBe(403);
    const apply = await post('/app/live/callApplyMan', { token: anchor.token, targetUserId: guest.userId });
    expect(apply.status).toBe(403);
    const called = await post('/app/live/callGirl', { token: guest.token, targetUserId: anchor.userId });
    expect(called.status).toBe(403);
    expect((await post('/app/live/getExitMessage', { token: anchor.token })).body.exitMessage).toBe('禁播');

    await unban(anchor.userId);
    const again = await post('/app/live/callGirl', { token: guest.token, targetUserId: anchor.userId });
    expect(again.body).toMatchObject({ code: 0, state: 'ringing' });
  });

  it('banned in the middle of a call she accepted cannot start it', async () => {
    const call = await ringingCall(server);
    await post('/weapp/live_room/create_room', { token: call.anchor.token, guestId: call.guest.userId });
    // startCall checks the ban itself, not only the machine: a ban whose BAN event never reached
    // the call (the admin process died in between) still keeps her from going live.
    await server.context.database.db
      .update(users)
      .set({ banState: 'stream' })
      .where(eq(users.id, call.anchor.userId));
    const start = await post('/app/live/startCall', {
      token: call.anchor.token,
      targetUserId: call.guest.userId,
    });
    expect(start.status).toBe(403);
  });
});

describe('a ban in a live room', () => {
  async function openRoom(roomId: string) {
    const matchmaker = await server.createUser({ role: 'matchmaker', nickname: 'Hongniang' });
    const member = await server.createUser({ role: 'guest', gender: 1 });
    const { runtime, roomIndex } = server.context;
    await runtime.create(
      'room',
      roomId,
      {
        roomId,
        matchmakerId: matchmaker.userId,
        roomName: 'Saturday',
        groupId: `g${roomId}`,
        graceMs: 30_000,
        at: Date.now(),
      },
      { actor: String(matchmaker.userId) },
    );
    await roomIndex.join(matchmaker.userId, roomId);
    await runtime.send(
      'room',
      roomId,
      { type: 'ENTER', userId: member.userId, gender: 1 },
      { actor: String(member.userId) },
    );
    await roomIndex.join(member.userId, roomId);
    return { matchmaker, member };
  }

  it('drops a banned member from the room and ends the room of a banned matchmaker', async () => {
    const { matchmaker, member } = await openRoom('92001');
    const memberBan = await ban(member.userId, 'account', 'harassment');
    expect(memberBan.body.room).toEqual({ kind: 'room', id: '92001', applied: true, state: 'live' });
    const afterMember = await server.context.runtime.get('room', '92001');
    expect(afterMember?.snapshot.context).toMatchObject({ members: {} });

    const matchmakerBan = await ban(matchmaker.userId, 'stream', '红娘违规');
    expect(matchmakerBan.body.room).toEqual({ kind: 'room', id: '92001', applied: true, state: 'ended' });
    const view = (await server.context.runtime.get('room', '92001'))?.view;
    expect(view).toMatchObject({ state: 'ended', endReason: 'banned' });
  });
});
