import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath, type PrivateRedis, startPrivateRedis } from '../../src/redis/private-redis.js';
import { type DrivenCall, liveCall, ringingCall } from '../e2e/moderation/call-driver.js';
import { startTestServer, type TestServer } from '../helpers/app.js';
import { eventually } from '../helpers/clients.js';
import { type FakeTencentIm, imEnv, startFakeTencentIm } from '../helpers/fake-tencent-im.js';
import { LiveRoomClient } from '../helpers/liveroom-client.js';
import { useTestRedisUrl } from '../helpers/services.js';

/**
 * Redis loses everything (FLUSHALL, what a Redis replaced without its data amounts to) while calls
 * are live or ringing and rooms are open. The server runs on a redis-server of this file's own, so
 * the flush touches no other test's keys. The reconciler must end everything from what Postgres knows.
 */
let redisDir: string;
let redis: PrivateRedis;
let im: FakeTencentIm;
let server: TestServer;
let sql: pg.Pool;
beforeAll(async () => {
  const binary = findOnPath('redis-server');
  if (!binary) throw new Error('redis-server must be installed');
  redisDir = await mkdtemp(path.join(tmpdir(), 'co-lost-redis-'));
  redis = await startPrivateRedis(binary, redisDir);
  useTestRedisUrl(redis.url);
  im = await startFakeTencentIm();
  server = await startTestServer('lost_redis', {
    ...imEnv(im),
    BILLING_INTERVAL_MS: '400',
    RECONCILE_EVERY_MS: '300',
    RING_TIMEOUT_MS: '120000',
    DISCONNECT_GRACE_MS: '600000',
    RATE_LIMIT_PER_MINUTE: '100000',
  });
  sql = new pg.Pool({ connectionString: server.databaseUrl, max: 3 });
});
afterAll(async () => {
  await sql?.end();
  await server?.close();
  await im?.close();
  useTestRedisUrl(null);
  await redis?.stop();
  if (redisDir) await rm(redisDir, { recursive: true, force: true });
});

async function flushAll(): Promise<void> {
  const client = new Redis(redis.url);
  try {
    await client.flushall();
  } finally {
    client.disconnect();
  }
}

const post = (path: string, body: Record<string, unknown>) => server.request('POST', path, { body });
const qlive = (method: 'GET' | 'POST', path: string, token: string, body?: Record<string, unknown>) =>
  server.request(method, `/wx/api/qlive${path}`, {
    headers: { authorization: `QLiveToken ${token}` },
    ...(body ? { body } : {}),
  });
const DESTROY_GROUP = 'group_open_http_svc/destroy_group';
const destroyedGroups = (groupId: string) =>
  im.callsOf(DESTROY_GROUP).filter((call) => call.body.GroupId === groupId && call.outcome === 'ok');

/** A RoomService room that is no call's, with its creator pushing to it (liveroom.js's steps). */
async function roomServiceRoom(host: LiveRoomClient, roomID: string) {
  expect((await host.login()).code).toBe(0);
  const push = await host.request('get_push_url', { userID: host.userID });
  expect(
    (await host.request('create_room', { userID: host.userID, roomID, roomInfo: '周末相亲' })).code,
  ).toBe(0);
  const added = await host.request('add_pusher', {
    roomID,
    userID: host.userID,
    userName: 'Host',
    userAvatar: '',
    pushURL: push.body.pushURL,
  });
  expect(added.code).toBe(0);
}

/** What the admin panel shows of a machine (live from Redis, or its archive). */
const adminMachine = (kind: string, id: string) =>
  server.request('GET', `/admin/api/machines/${kind}/${id}`, {
    headers: { authorization: `Bearer ${server.adminToken}` },
  });

const overMessagesTo = (groupId: string) =>
  im.messages.filter(
    (message) =>
      message.kind === 'group' &&
      message.to === groupId &&
      JSON.stringify(message.text) === JSON.stringify({ content: '', type: 'over' }),
  );

async function ledgerMinutes(callId: string): Promise<{ minutes: number; diamonds: number }> {
  const { rows } = await sql.query(
    `select count(distinct t.id)::int as minutes,
            coalesce(sum(e.amount) filter (where e.currency = 'diamond' and e.amount > 0), 0)::int as diamonds
       from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
      where t.reference = $1 and t.kind = 'call_minute'`,
    [`call:${callId}`],
  );
  return rows[0];
}

describe('losing Redis entirely', () => {
  it('settles every live call by what the ledger charged, frees the parties of a ringing call, closes the open rooms (over to a QLive room, its group destroyed for a RoomService room), and frees everyone', async () => {
    const calls: DrivenCall[] = [];
    for (let i = 0; i < 3; i++) calls.push(await liveCall(server, 10_000));
    // Each live call's RoomService room has its IM group (GroupId = roomID).
    const callRooms = [...im.groups.keys()].filter((groupId) => groupId.startsWith('room_'));
    expect(callRooms).toHaveLength(calls.length);
    // Postgres knows a call's room from its call (the first minute names it), not from a row of its own.
    const callRoomRows = await sql.query(
      'select count(*)::int as rows from roomservice_rooms where room_id = any($1)',
      [callRooms],
    );
    expect(callRoomRows.rows[0].rows).toBe(0);
    // A RoomService room of no call, someone pushing to it.
    const host = new LiveRoomClient(server, 'lost_redis_host');
    const roomID = 'room_lost_redis_weekend';
    await roomServiceRoom(host, roomID);
    expect(im.groups.has(roomID)).toBe(true);
    // A call still ringing: nothing charged yet, so Postgres holds nothing of it.
    const ringing = await ringingCall(server, 10_000);
    // A QLive room with a man on the male seat.
    const matchmaker = await server.createUser({ role: 'matchmaker', nickname: 'Hong', age: 40, gender: 2 });
    const opened = await qlive('POST', '/qlive_room/matchmaker_enter/', matchmaker.token);
    expect(opened.status).toBe(200);
    const liveId = Number(opened.body.live_id);
    const groupId: string = opened.body.group_id;
    expect(groupId).toMatch(/^@TGS#/);
    const seated = await server.createUser({ role: 'guest', nickname: 'Qiang', gender: 1 });
    expect((await qlive('GET', `/get_playurl/?live_id=${liveId}`, seated.token)).status).toBe(200);
    expect((await qlive('POST', '/qlive_room/apply_micro/', seated.token, { live_id: liveId })).status).toBe(
      200,
    );
    const accepted = await qlive('POST', '/qlive_room/accept_micro/', seated.token, { live_id: liveId });
    expect(accepted.body.code).toBe('success');
    expect((await qlive('GET', '/qlive_user/get_user_state/', seated.token)).body.user_type).toBe(3);
    // A few minutes go by on every call.
    await eventually(async () => {
      const charged = await Promise.all(calls.map((call) => ledgerMinutes(call.callId)));
      return charged.every((ledger) => ledger.minutes >= 2);
    }, 15_000);

    await flushAll();

    for (const call of calls) {
      const record = await eventually(async () => {
        const { rows } = await sql.query('select * from call_records where id = $1', [call.callId]);
        return rows[0] ?? null;
      }, 15_000);
      const ledger = await ledgerMinutes(call.callId);
      expect(record).toMatchObject({
        end_reason: 'state_lost',
        status: 2,
        minutes: ledger.minutes,
        initiator: 'guest',
        unit_price_diamonds: 60,
        unit_price_points: 30,
      });
      expect(Number(record.diamonds)).toBe(ledger.diamonds);
      expect(Number(record.diamonds)).toBe(ledger.minutes * 60);
      // What only the machine knew (when she accepted, when it went live) came from minute 1's ledger entry.
      expect(record.accepted_at).toBeInstanceOf(Date);
      expect(record.started_at.getTime()).toBeGreaterThanOrEqual(record.accepted_at.getTime());

      // His settlement screen is complete, and his balance is what he had less what the ledger took.
      const screen = await post('/app/live/getCallResultGuest', {
        token: call.guest.token,
        roomInstanceId: Number(call.callId),
      });
      expect(screen.status).toBe(200);
      expect(screen.body).toMatchObject({
        code: 0,
        callDiamond: expect.stringContaining(String(ledger.diamonds)),
      });
      expect(Number(screen.body.diamond)).toBe(10_000 - ledger.diamonds);

      // The admin sees why it ended.
      const admin = await adminMachine('call', call.callId);
      expect(admin.status).toBe(200);
      expect(admin.body).toMatchObject({ source: 'archive', state: 'settled' });
      expect(JSON.stringify(admin.body)).toContain('state_lost');

      // Both are free to call again.
      const again = await post('/app/live/callApplyGirl', {
        token: call.guest.token,
        targetUserId: call.anchor.userId,
      });
      expect(again.body).toMatchObject({ code: 0, state: 'ringing' });
    }

    // The ringing call left nothing to settle (no record, no ledger entry: none was ever due), and
    // left nobody busy: the two ring each other again.
    const ringingTraces = await sql.query(
      `select (select count(*) from call_records where id = $1)::int as records,
              (select count(*) from ledger_transactions where reference = $2)::int as movements`,
      [ringing.callId, `call:${ringing.callId}`],
    );
    expect(ringingTraces.rows[0]).toEqual({ records: 0, movements: 0 });
    const ringAgain = await post('/app/live/callApplyGirl', {
      token: ringing.guest.token,
      targetUserId: ringing.anchor.userId,
    });
    expect(ringAgain.body).toMatchObject({ code: 0, state: 'ringing' });
    expect(String(ringAgain.body.roomInstanceId)).not.toBe(ringing.callId);

    // Every RoomService room went with Redis: each IM group is destroyed, once, so nobody is left
    // in a group of a room that is gone, and the room id can be created again.
    for (const groupId of [...callRooms, roomID])
      await eventually(async () => !im.groups.has(groupId), 20_000);
    const lostRoomRow = await sql.query(
      'select closed_at, close_reason from roomservice_rooms where room_id = $1',
      [roomID],
    );
    expect(lostRoomRow.rows).toEqual([{ closed_at: expect.any(Date), close_reason: 'state_lost' }]);
    await new Promise((resolve) => setTimeout(resolve, 4 * 300));
    for (const groupId of [...callRooms, roomID]) expect(destroyedGroups(groupId)).toHaveLength(1);
    const lostRoomServiceRoom = await adminMachine('live_room', roomID);
    expect(lostRoomServiceRoom.body).toMatchObject({
      source: 'archive',
      state: 'closed',
      context: { creator: host.userID, endReason: 'state_lost' },
    });
    await roomServiceRoom(host, roomID);
    expect(im.groups.has(roomID)).toBe(true);

    const room = await eventually(async () => {
      const { rows } = await sql.query('select * from live_rooms where id = $1 and ended_at is not null', [
        liveId,
      ]);
      return rows[0] ?? null;
    }, 20_000);
    expect(room.end_reason).toBe('state_lost');
    const lostRoom = await adminMachine('room', String(liveId));
    expect(lostRoom.body).toMatchObject({
      source: 'archive',
      state: 'ended',
      context: { matchmakerId: matchmaker.userId, groupId, endReason: 'state_lost' },
    });
    // Its IM group is told the room is over, as when the host logs out: once, though every
    // reconciler run that follows looks again.
    await eventually(async () => overMessagesTo(groupId).length > 0);
    const reconcilerRuns = 4;
    await new Promise((resolve) => setTimeout(resolve, reconcilerRuns * 300));
    expect(overMessagesTo(groupId)).toHaveLength(1);
    expect(im.calls.filter((call) => call.outcome === 'duplicate')).toEqual([]);
    // The man on the seat is in no room, and may enter another.
    expect((await qlive('GET', '/qlive_user/get_user_state/', seated.token)).body.user_type).toBe(0);
    const reopened = await qlive('POST', '/qlive_room/matchmaker_enter/', matchmaker.token);
    expect(reopened.status).toBe(200);
    expect(Number(reopened.body.live_id)).not.toBe(liveId);
    const entered = await qlive('GET', `/get_playurl/?live_id=${reopened.body.live_id}`, seated.token);
    expect(entered.status).toBe(200);
    expect((await qlive('GET', '/qlive_user/get_user_state/', seated.token)).body.user_type).toBe(1);

    // The books balance: every account holds exactly what its entries say, and every currency sums to
    // zero over all accounts (nothing was charged twice or created by the reconciliation).
    const drifted = await sql.query(
      `select a.id from accounts a left join ledger_entries e on e.account_id = a.id
        group by a.id having a.balance <> coalesce(sum(e.amount), 0)`,
    );
    expect(drifted.rows).toEqual([]);
    const unbalanced = await sql.query(
      'select currency from accounts group by currency having sum(balance) <> 0',
    );
    expect(unbalanced.rows).toEqual([]);
  }, 60_000);
});
