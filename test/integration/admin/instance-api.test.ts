import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveCall, ringingCall } from '../../e2e/moderation/call-driver.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { eventually } from '../../helpers/clients.js';

// Minutes of 150 ms: a call collects a few dozen ledger movements in seconds.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer('admin_instance', { BILLING_INTERVAL_MS: '150' });
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

interface Fact {
  key: string;
  value: unknown;
  format: string;
}
const factOf = (detail: { summary: Fact[] }, key: string) => detail.summary.find((fact) => fact.key === key);

async function openRoom(roomId: string, members: { userId: number; gender: 1 | 2 }[]) {
  const matchmaker = await server.createUser({ role: 'matchmaker', nickname: 'Hongniang' });
  const { runtime, roomIndex } = server.context;
  const at = Date.now();
  await runtime.create(
    'room',
    roomId,
    {
      roomId,
      matchmakerId: matchmaker.userId,
      roomName: 'Friday',
      groupId: `g${roomId}`,
      graceMs: 30_000,
      at,
    },
    { actor: String(matchmaker.userId) },
  );
  await roomIndex.join(matchmaker.userId, roomId);
  for (const member of members) {
    await runtime.send('room', roomId, { type: 'ENTER', ...member }, { actor: String(member.userId) });
    await roomIndex.join(member.userId, roomId);
  }
  return matchmaker;
}

describe('admin instance API: live summary, timers, ledger pages, members, time travel', () => {
  it('sums up a live call: minutes, money, guest balance, paid-until and each armed timer with its BullMQ job', async () => {
    const call = await liveCall(server, 100_000);
    const detail = (
      await eventually(async () => {
        const answer = await get(`/machines/call/${call.callId}`);
        return answer.body.summary && Number(factOf(answer.body, 'minutes')?.value) >= 3 ? answer : null;
      })
    ).body;
    const minutes = factOf(detail, 'minutes')?.value as number;
    // What the ledger holds so far: a minute's charge lands just after the machine counts it.
    const spent = factOf(detail, 'diamondsSpent')?.value as number;
    expect(spent % 60).toBe(0);
    expect(spent).toBeLessThanOrEqual(60 * minutes);
    expect(String(factOf(detail, 'guestBalance')?.value)).toMatch(/^\d+ diamonds$/);
    expect(factOf(detail, 'paidUntil')).toMatchObject({
      format: 'deadline',
      value: detail.context.startedAt + minutes * 150,
    });
    // The next billing tick is armed (its job may be firing right now, so no state is asserted here).
    expect(detail.timers).toEqual([
      expect.objectContaining({ sendId: expect.stringMatching(/^minute-\d+$/) }),
    ]);
    expect(detail.timers[0].jobId).toBe(`call-${call.callId}-${detail.timers[0].sendId}`);
    await post(`/calls/${call.callId}/hangup`, { reason: 'end of test' });
    const settled = await eventually(async () => {
      const answer = await get(`/machines/call/${call.callId}`);
      return answer.body.record ? answer.body : null;
    });
    expect(factOf(settled, 'diamondsSpent')?.value).toBe(settled.record.diamonds);
    expect(factOf(settled, 'pointsEarned')?.value).toBe(settled.record.points);
    expect(factOf(settled, 'endReason')?.value).toBe('hangup_server');
    expect(settled.timers).toEqual([]);
  });

  it('shows a ringing call’s ring timeout as a delayed BullMQ job, due when the call would be missed', async () => {
    const call = await ringingCall(server);
    const detail = (await get(`/machines/call/${call.callId}`)).body;
    expect(detail.timers).toEqual([
      {
        sendId: expect.stringMatching(/^xstate\.after\.ringTimeout\./),
        jobId: expect.stringMatching(new RegExp(`^call-${call.callId}-xstate\\.after\\.ringTimeout`)),
        state: 'delayed',
        dueAt: expect.any(Number),
        attempts: 0,
      },
    ]);
    expect(detail.timers[0].dueAt).toBeGreaterThan(detail.context.at);
    await post(`/calls/${call.callId}/hangup`);
    const ended = await eventually(async () => {
      const answer = await get(`/machines/call/${call.callId}`);
      return answer.body.final ? answer.body : null;
    });
    expect(ended.timers).toEqual([]);
  });

  it('pages through a call ledger newest first, each movement once, with totals over all of them', async () => {
    const call = await liveCall(server, 100_000);
    await eventually(async () => {
      const answer = await get(`/machines/call/${call.callId}`);
      return answer.body.ledger?.totals.movements >= 25 ? true : null;
    });
    await post(`/calls/${call.callId}/hangup`);
    const settled = await eventually(async () => {
      const answer = await get(`/machines/call/${call.callId}`);
      return answer.body.record ? answer.body : null;
    });
    expect(settled.ledger.movements).toHaveLength(20);
    const keys: string[] = [];
    let before: number | null = null;
    do {
      const page: {
        body: { movements: { key: string; transactionId: number }[]; nextBefore: number | null };
      } = await get(`/machines/call/${call.callId}/ledger?limit=7${before ? `&before=${before}` : ''}`);
      const ids = page.body.movements.map((movement) => movement.transactionId);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      keys.push(...page.body.movements.map((movement) => movement.key));
      before = page.body.nextBefore;
    } while (before !== null);
    expect(keys).toHaveLength(settled.ledger.totals.movements);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.at(-1)).toBe(`call:${call.callId}:minute:1`);
    // The totals are what the settlement says the guest paid and the anchor earned.
    const total = (account: string, currency: string) =>
      settled.ledger.totals.byAccount.find(
        (leg: { account: string; currency: string }) => leg.account === account && leg.currency === currency,
      )?.amount;
    expect(total(`user:${call.guest.userId}`, 'diamond')).toBe(-settled.record.diamonds);
    expect(total(`user:${call.anchor.userId}`, 'point')).toBe(settled.record.points);
    expect((await get(`/machines/call/${call.callId}/ledger?limit=201`)).status).toBe(400);
  });

  it('lists a room’s members and seats with the actions each takes, and removes from the mic, from the room, and bans', async () => {
    const roomId = '93001';
    const matchmaker = await openRoom(roomId, [
      { userId: 501, gender: 1 },
      { userId: 502, gender: 2 },
      { userId: 503, gender: 1 },
    ]);
    const { runtime } = server.context;
    await runtime.send('room', roomId, { type: 'APPLY', userId: 501 }, { actor: '501' });
    await runtime.send(
      'room',
      roomId,
      { type: 'ACCEPT_SEAT', userId: 501 },
      { actor: String(matchmaker.userId) },
    );

    const detail = (await get(`/machines/room/${roomId}`)).body;
    expect(detail.members).toEqual([
      expect.objectContaining({
        userId: matchmaker.userId,
        role: 'matchmaker',
        actions: { removeFromMic: false, remove: false, ban: true },
      }),
      expect.objectContaining({
        userId: 501,
        role: 'on the mic',
        seat: 'male',
        actions: { removeFromMic: true, remove: true, ban: true },
      }),
      expect.objectContaining({
        userId: 502,
        role: 'audience',
        seat: null,
        actions: { removeFromMic: false, remove: true, ban: true },
      }),
      expect.objectContaining({ userId: 503, role: 'audience' }),
    ]);
    expect(factOf(detail, 'maleSeat')?.value).toBe(501);
    expect(factOf(detail, 'members')?.value).toBe(3);

    const offMic = await post(`/rooms/${roomId}/members/501/remove-from-mic`, {
      reason: 'muted mic for 5 minutes',
    });
    expect(offMic.status).toBe(200);
    expect(offMic.body.view.seats?.male ?? null).toBeNull();
    expect((await post(`/rooms/${roomId}/members/501/remove-from-mic`)).status).toBe(409);

    const removed = await post(`/rooms/${roomId}/members/502/remove`, { reason: 'spamming the chat' });
    expect(removed.status).toBe(200);
    expect(await server.context.roomIndex.activeRoomOf(502)).toBeNull();
    expect((await post(`/rooms/${roomId}/members/502/remove`)).status).toBe(409);
    const after = (await get(`/machines/room/${roomId}`)).body;
    expect(after.members.map((member: { userId: number }) => member.userId)).toEqual([
      matchmaker.userId,
      501,
      503,
    ]);
    expect(after.members[1]).toMatchObject({ role: 'audience', seat: null });

    expect(await adminActions('room', roomId)).toEqual([
      {
        actor: fingerprint(),
        action: 'room.remove_from_mic',
        payload: {
          event: 'LEAVE_SEAT',
          userId: 501,
          applied: true,
          state: 'live',
          reason: 'muted mic for 5 minutes',
        },
      },
      {
        actor: fingerprint(),
        action: 'room.remove_from_mic',
        payload: { event: 'LEAVE_SEAT', userId: 501, applied: false, state: 'live' },
      },
      {
        actor: fingerprint(),
        action: 'room.remove_member',
        payload: { event: 'LEAVE', userId: 502, applied: true, state: 'live', reason: 'spamming the chat' },
      },
      {
        actor: fingerprint(),
        action: 'room.remove_member',
        payload: { event: 'LEAVE', userId: 502, applied: false, state: 'live' },
      },
    ]);
    expect((await post('/rooms/999999/members/1/remove')).status).toBe(404);
    expect((await post(`/rooms/${roomId}/members/abc/remove`)).status).toBe(400);
  });

  it('travels back: the state, path, context and changes of each version, replayed exactly from the history', async () => {
    const call = await liveCall(server, 100_000);
    await post(`/calls/${call.callId}/hangup`);
    const settled = await eventually(async () => {
      const answer = await get(`/machines/call/${call.callId}`);
      return answer.body.state === 'settled' ? answer.body : null;
    });
    const created = (await get(`/machines/call/${call.callId}/versions/1`)).body;
    expect(created).toMatchObject({
      version: 1,
      state: 'ringing',
      activeStateIds: ['call.ringing'],
      path: ['call.ringing'],
      edges: [],
      exact: true,
      context: { callId: call.callId, minutesStarted: 0 },
    });
    expect(created.context.acceptedAt).toBeUndefined();

    const started = (await get(`/machines/call/${call.callId}/versions/3`)).body;
    expect(started).toMatchObject({
      state: 'live',
      path: ['call.ringing', 'call.accepted', 'call.live'],
      edges: [
        { from: 'call.ringing', to: 'call.accepted' },
        { from: 'call.accepted', to: 'call.live' },
      ],
      transition: { event: { type: 'START' }, actor: String(call.anchor.userId) },
      exact: true,
    });
    expect(started.changes).toEqual(
      expect.arrayContaining([
        { path: 'minutesStarted', before: 0, after: 1 },
        { path: 'startedAt', after: expect.any(Number) },
      ]),
    );
    const last = (await get(`/machines/call/${call.callId}/versions/${settled.version}`)).body;
    expect(last.context).toEqual(settled.context);
    expect(last.state).toBe('settled');
    expect((await get(`/machines/call/${call.callId}/versions/${settled.version + 1}`)).status).toBe(404);
    expect((await get(`/machines/call/${call.callId}/versions/0`)).status).toBe(400);
  });

  it('replays a room version by version: who was in it and on which seat', async () => {
    const roomId = '93002';
    await openRoom(roomId, [
      { userId: 601, gender: 1 },
      { userId: 602, gender: 2 },
    ]);
    await server.context.runtime.send('room', roomId, { type: 'LEAVE', userId: 601 }, { actor: '601' });
    const entered = (await get(`/machines/room/${roomId}/versions/3`)).body;
    expect(entered.exact).toBe(true);
    expect(Object.keys(entered.context.members)).toEqual(['601', '602']);
    expect(entered.changes).toEqual([
      { path: 'members.602', before: undefined, after: expect.objectContaining({ userId: 602, gender: 2 }) },
    ]);
    const left = (await get(`/machines/room/${roomId}/versions/4`)).body;
    expect(Object.keys(left.context.members)).toEqual(['602']);
  });
});
