import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceKeys } from '../../../src/runtime/keys.js';
import { liveCall, ringingCall } from '../../e2e/moderation/call-driver.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { eventually } from '../../helpers/clients.js';
import { TEST_REDIS_URL } from '../../helpers/services.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer('admin_machines');
});
afterAll(() => server.close());

const asAdmin = () => ({ authorization: `Bearer ${server.adminToken}` });
const get = (path: string) => server.request('GET', `/admin/api${path}`, { headers: asAdmin() });
const post = (path: string, body?: unknown) =>
  server.request('POST', `/admin/api${path}`, { headers: asAdmin(), body: body ?? {} });
const fingerprint = () =>
  `admin:${createHash('sha256').update(server.adminToken).digest('hex').slice(0, 12)}`;

async function adminActions(targetKind: string, targetId: string) {
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      'select actor, action, payload from admin_actions where target_kind = $1 and target_id = $2 order by id',
      [targetKind, targetId],
    );
    return rows;
  } finally {
    await client.end();
  }
}

describe('admin machines API', () => {
  it('answers 401 and nothing else to a missing or wrong admin token', async () => {
    const call = await ringingCall(server);
    const paths: [string, string][] = [
      ['GET', '/machines'],
      ['GET', `/machines/call/${call.callId}`],
      ['GET', '/archives'],
      ['GET', '/charts/call'],
      ['GET', `/users/${call.guest.userId}`],
      ['GET', '/configs'],
      ['POST', `/calls/${call.callId}/hangup`],
      ['POST', '/rooms/1/end'],
      ['POST', `/users/${call.guest.userId}/warn`],
      ['POST', `/users/${call.guest.userId}/ban`],
      ['POST', `/users/${call.guest.userId}/unban`],
      ['PUT', '/configs/share_info'],
    ];
    for (const [method, path] of paths) {
      for (const headers of [
        {} as Record<string, string>,
        { authorization: 'Bearer not-the-admin-token-at-all' },
        { authorization: `Bearer ${call.guest.token}` },
      ]) {
        const body = method === 'GET' ? undefined : {};
        const response = await server.request(method, `/admin/api${path}`, { headers, body });
        expect(response.status, `${method} ${path}`).toBe(401);
        expect(response.body).toEqual({ error: 'unauthorized', message: 'admin token required' });
      }
    }
    // The call was not touched.
    expect((await get(`/machines/call/${call.callId}`)).body.state).toBe('ringing');
  });

  it('lists active calls with parties, state, since and last event, filtered by kind, state and user', async () => {
    const ringing = await ringingCall(server);
    const live = await liveCall(server);

    const all = await get('/machines');
    expect(all.status).toBe(200);
    const liveRow = all.body.machines.find((row: { id: string }) => row.id === live.callId);
    expect(liveRow).toMatchObject({
      kind: 'call',
      state: 'live',
      final: false,
      parties: [
        { role: 'guest', userId: live.guest.userId },
        { role: 'anchor', userId: live.anchor.userId },
      ],
      lastEvent: { type: 'START', actor: String(live.anchor.userId) },
    });
    expect(liveRow.since).toBeGreaterThanOrEqual(liveRow.lastEvent.at - 1);

    const inLive = await get('/machines?kind=call&state=live');
    expect(inLive.body.machines.map((row: { id: string }) => row.id)).toContain(live.callId);
    expect(inLive.body.machines.map((row: { id: string }) => row.id)).not.toContain(ringing.callId);

    const ofGuest = await get(`/machines?user=${ringing.guest.userId}`);
    expect(ofGuest.body.machines.map((row: { id: string }) => row.id)).toEqual([ringing.callId]);

    expect((await get('/machines?kind=room')).body.machines).toEqual([]);
    const badKind = await get('/machines?kind=planet');
    expect(badKind.status).toBe(400);
    expect(badKind.body).toMatchObject({ error: 'bad_request', field: 'kind' });
  });

  it('shows one instance with context, full history, the events it takes now and the admin actions that apply', async () => {
    const call = await liveCall(server);
    const detail = await get(`/machines/call/${call.callId}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      kind: 'call',
      id: call.callId,
      source: 'live',
      status: 'active',
      state: 'live',
      version: 3,
      activeStateIds: ['call.live'],
      context: { callId: call.callId, guestId: call.guest.userId, minutesStarted: 1 },
      view: { roomInstanceId: Number(call.callId), state: 'live' },
      adminActions: { hangup: true, end: false, ban: [call.guest.userId, call.anchor.userId] },
      record: null,
    });
    expect(detail.body.history.map((r: { event: { type: string } }) => r.event.type)).toEqual([
      'xstate.init',
      'ROOM_CREATED',
      'START',
    ]);
    expect(detail.body.history[2]).toMatchObject({
      from: 'accepted',
      to: 'live',
      actor: String(call.anchor.userId),
    });
    const accepts = detail.body.accepts.map((entry: { event: string }) => entry.event);
    expect(accepts).toEqual(
      expect.arrayContaining(['HANGUP', 'SERVER_HANGUP', 'BAN', 'TICK', 'CHARGE_FAILED']),
    );
    expect(accepts).not.toContain('ACCEPT');
    expect(detail.body.accepts.find((entry: { event: string }) => entry.event === 'HANGUP').guards).toEqual([
      'byGuest',
      'byAnchor',
    ]);
    // The first minute is in the ledger already.
    expect(detail.body.ledger.movements).toEqual([
      expect.objectContaining({
        key: `call:${call.callId}:minute:1`,
        kind: 'call_minute',
        legs: expect.arrayContaining([
          { account: `user:${call.guest.userId}`, currency: 'diamond', amount: -60 },
        ]),
      }),
    ]);
    expect(detail.body.ledger.totals.movements).toBe(1);
    expect(detail.body.ledger.nextBefore).toBeNull();

    const unknown = await get('/machines/call/424242');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: 'not_found', field: 'id' });
  });

  it('hangs a call up through its machine, shows the settlement, records who did it and why, and refuses a second time with 409', async () => {
    const call = await liveCall(server);
    const hangup = await post(`/calls/${call.callId}/hangup`, { reason: 'abusive language on stream' });
    expect(hangup.status).toBe(200);
    expect(hangup.body).toMatchObject({ id: call.callId, state: 'ended', view: { reason: 'hangup_server' } });

    const settled = await eventually(async () => {
      const detail = await get(`/machines/call/${call.callId}`);
      return detail.body.state === 'settled' && detail.body.record ? detail.body : null;
    });
    expect(settled).toMatchObject({
      final: true,
      accepts: [],
      adminActions: { hangup: false, end: false, ban: [] },
      record: {
        status: 2,
        endReason: 'hangup_server',
        endedBy: fingerprint(),
        minutes: 1,
        diamonds: 60,
        points: 30,
      },
    });
    expect(settled.history.at(-2)).toMatchObject({
      event: { type: 'SERVER_HANGUP', by: fingerprint() },
      actor: fingerprint(),
    });
    expect(settled.actions).toEqual([
      expect.objectContaining({
        actor: fingerprint(),
        action: 'call.hangup',
        payload: {
          event: 'SERVER_HANGUP',
          applied: true,
          state: 'ended',
          reason: 'abusive language on stream',
        },
      }),
    ]);

    // Scripts may send no body at all: the reason is the panel's to ask for, not required here.
    const again = await server.request('POST', `/admin/api/calls/${call.callId}/hangup`, {
      headers: asAdmin(),
    });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      error: 'conflict',
      message: `call ${call.callId} is settled: SERVER_HANGUP does not apply`,
    });
    expect(await adminActions('call', call.callId)).toEqual([
      {
        actor: fingerprint(),
        action: 'call.hangup',
        payload: {
          event: 'SERVER_HANGUP',
          applied: true,
          state: 'ended',
          reason: 'abusive language on stream',
        },
      },
      {
        actor: fingerprint(),
        action: 'call.hangup',
        payload: { event: 'SERVER_HANGUP', applied: false, state: 'settled' },
      },
    ]);
    expect((await post('/calls/999999/hangup')).status).toBe(404);
    expect((await post('/calls/not-a-number/hangup')).status).toBe(400);
    expect((await post(`/calls/${call.callId}/hangup`, { reason: '' })).status).toBe(400);
    expect((await post(`/calls/${call.callId}/hangup`, { reason: 'x'.repeat(501) })).status).toBe(400);
  });

  it('reads a finished call from the Postgres archive once Redis has let it go', async () => {
    const call = await liveCall(server);
    await post(`/calls/${call.callId}/hangup`);
    await eventually(async () => {
      const archived = await get('/archives?kind=call');
      return archived.body.machines.some((row: { id: string }) => row.id === call.callId);
    });
    // What the one-hour expiry of a finished instance does, now.
    const redis = new Redis(TEST_REDIS_URL);
    const keys = instanceKeys(server.redisPrefix, 'call', String(call.callId));
    await redis.del(keys.machine, keys.history);
    redis.disconnect();

    const detail = await get(`/machines/call/${call.callId}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      source: 'archive',
      state: 'settled',
      status: 'done',
      activeStateIds: ['call.settled'],
      record: { endReason: 'hangup_server' },
    });
    expect(detail.body.history.map((r: { event: { type: string } }) => r.event.type)).toEqual([
      'xstate.init',
      'ROOM_CREATED',
      'START',
      'SERVER_HANGUP',
      'SETTLED',
    ]);
    const ofGuest = await get(`/archives?user=${call.guest.userId}`);
    expect(ofGuest.body.machines).toEqual([
      expect.objectContaining({ kind: 'call', id: call.callId, state: 'settled' }),
    ]);
    const again = await post(`/calls/${call.callId}/hangup`);
    expect(again.status).toBe(409);
    expect(again.body.message).toBe(`call ${call.callId} is settled: SERVER_HANGUP does not apply`);
  });

  it('serves the state chart generated from the machine definition', async () => {
    const chart = await get('/charts/call');
    expect(chart.status).toBe(200);
    expect(chart.body.graph.states.map((state: { key: string }) => state.key)).toEqual([
      'ringing',
      'accepted',
      'live',
      'ended',
      'settled',
    ]);
    for (const state of ['ringing', 'accepted', 'live', 'ended', 'settled']) {
      expect(chart.body.svg).toContain(`data-state="call.${state}"`);
    }
    const room = await get('/charts/room');
    expect(room.body.graph.states.map((state: { key: string }) => state.key)).toEqual(['live', 'ended']);
  });

  it('ends a live room with ADMIN_END and refuses to end it twice', async () => {
    const matchmaker = await server.createUser({ role: 'matchmaker', nickname: 'Hongniang' });
    const roomId = '91001';
    await server.context.runtime.create(
      'room',
      roomId,
      {
        roomId,
        matchmakerId: matchmaker.userId,
        roomName: 'Friday',
        groupId: 'g1',
        graceMs: 30_000,
        at: Date.now(),
      },
      { actor: String(matchmaker.userId) },
    );
    const openedAt = (await get(`/machines/room/${roomId}`)).body.since;
    // A busy room: more history than one page of the table's backwards read.
    for (let userId = 1; userId <= 120; userId++) {
      await server.context.runtime.send(
        'room',
        roomId,
        { type: 'ENTER', userId, gender: 1 },
        { actor: String(userId) },
      );
    }
    const listed = await get('/machines?kind=room');
    expect(listed.body.machines).toEqual([
      expect.objectContaining({
        id: roomId,
        since: openedAt,
        lastEvent: expect.objectContaining({ type: 'ENTER', actor: '120' }),
        state: 'live',
        parties: [{ role: 'matchmaker', userId: matchmaker.userId }],
      }),
    ]);
    const detail = await get(`/machines/room/${roomId}`);
    expect(detail.body.adminActions).toEqual({ hangup: false, end: true, ban: [matchmaker.userId] });

    const ended = await post(`/rooms/${roomId}/end`, { reason: 'nudity' });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ state: 'ended', view: { state: 'ended', endReason: 'admin' } });
    const again = await post(`/rooms/${roomId}/end`);
    expect(again.status).toBe(409);
    expect(await adminActions('room', roomId)).toEqual([
      {
        actor: fingerprint(),
        action: 'room.end',
        payload: { event: 'ADMIN_END', applied: true, state: 'ended', reason: 'nudity' },
      },
      {
        actor: fingerprint(),
        action: 'room.end',
        payload: { event: 'ADMIN_END', applied: false, state: 'ended' },
      },
    ]);
  });
});
