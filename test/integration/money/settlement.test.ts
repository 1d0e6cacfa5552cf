import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallSnapshot } from '../../../machines/call.js';
import { settleCall } from '../../../src/calls/settlement.js';
import type { TestServer } from '../../helpers/app.js';
import { closeMoneyServer, liveCall, openMoneyServer, pairOf, post } from './money-fixtures.js';

let server: TestServer;
let db: pg.Client;

beforeAll(async () => {
  ({ server, db } = await openMoneyServer('money_settlement', { BILLING_INTERVAL_MS: '3600000' }));
});
afterAll(async () => {
  await closeMoneyServer({ server, db });
});

const ban = (callId: number, userId: number, banType: 'account' | 'stream', title: string) =>
  server.context.runtime.send(
    'call',
    String(callId),
    { type: 'BAN', userId, banType, title },
    { actor: 'admin:1' },
  );

describe('settlement screens', () => {
  it('answers only the call’s own guest and anchor: 404 unknown, 403 someone else’s, 403 the wrong app', async () => {
    const { guest, anchor } = await pairOf(server);
    const stranger = await server.createUser({ role: 'guest', diamond: 10 });
    const callId = await liveCall(server, guest, anchor);
    await post(server, '/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });

    const unknown = await post(server, '/app/live/getCallResultGuest', {
      token: guest.token,
      roomInstanceId: 999,
    });
    expect(unknown).toMatchObject({ status: 404, body: { code: 404, field: 'roomInstanceId' } });
    const foreign = await post(server, '/app/live/getCallResultGuest', {
      token: stranger.token,
      roomInstanceId: callId,
    });
    expect(foreign).toMatchObject({ status: 403, body: { code: 403 } });
    const wrongApp = await post(server, '/app/live/getCallResultGuest', {
      token: anchor.token,
      roomInstanceId: callId,
    });
    expect(wrongApp).toMatchObject({ status: 403, body: { code: 403 } });
    const malformed = await post(server, '/app/live/getCallResultMaster', {
      token: anchor.token,
      roomInstanceId: 'x',
    });
    expect(malformed).toMatchObject({ status: 400, body: { code: 400, field: 'roomInstanceId' } });
    const noToken = await post(server, '/app/live/getCallResultMaster', { roomInstanceId: callId });
    expect(noToken.status).toBe(401);
  });

  it('answers 409 while the call is still ringing or live, then the settlement once it ended', async () => {
    const { guest, anchor } = await pairOf(server);
    const applied = await post(server, '/app/live/callApplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
    });
    const callId = applied.body.roomInstanceId;
    const ringing = await post(server, '/app/live/getCallResultGuest', {
      token: guest.token,
      roomInstanceId: callId,
    });
    expect(ringing).toMatchObject({ status: 409, body: { code: 409 } });
    expect(ringing.body.message).toContain('ringing');
    await post(server, '/app/live/startCall', { token: anchor.token, targetUserId: guest.userId });
    const live = await post(server, '/app/live/getCallResultMaster', {
      token: anchor.token,
      roomInstanceId: callId,
    });
    expect(live).toMatchObject({ status: 409, body: { code: 409 } });
    // A stranger learns nothing about a call in progress either.
    const other = await server.createUser({ role: 'anchor' });
    expect(
      (await post(server, '/app/live/getCallResultMaster', { token: other.token, roomInstanceId: callId }))
        .status,
    ).toBe(403);

    await post(server, '/app/live/hangUpMan', { token: anchor.token, targetUserId: guest.userId });
    const settled = await post(server, '/app/live/getCallResultMaster', {
      token: anchor.token,
      roomInstanceId: callId,
    });
    expect(settled.body).toMatchObject({
      code: 0,
      reason: 'hangup_anchor',
      callTime: '1分钟',
      callPoint: '获得30积分',
    });
    expect(settled.body).not.toHaveProperty('title');
    expect(settled.body).not.toHaveProperty('streamStatus');
  });

  it('shows a missed call as 0 minutes and nothing spent', async () => {
    const { guest, anchor } = await pairOf(server, { diamond: 300 });
    const applied = await post(server, '/app/live/callApplyMan', {
      token: anchor.token,
      targetUserId: guest.userId,
    });
    await post(server, '/app/live/callReplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
      reply: 2,
    });
    const screen = await post(server, '/app/live/getCallResultGuest', {
      token: guest.token,
      roomInstanceId: applied.body.roomInstanceId,
    });
    expect(screen.body).toMatchObject({
      code: 0,
      reason: 'refused',
      callTime: '0分钟',
      callDiamond: '消耗0钻石',
      diamond: '300',
    });
  });

  it('shows the ban title on both screens and streamStatus on the banned party’s own screen only', async () => {
    const { guest, anchor } = await pairOf(server);
    const streamBanned = await liveCall(server, guest, anchor);
    await ban(streamBanned, anchor.userId, 'stream', '直播内容违规，已禁播');
    const master = await post(server, '/app/live/getCallResultMaster', {
      token: anchor.token,
      roomInstanceId: streamBanned,
    });
    expect(master.body).toMatchObject({
      code: 0,
      reason: 'banned',
      title: '直播内容违规，已禁播',
      streamStatus: 2,
      callTime: '1分钟',
    });
    const guestSide = await post(server, '/app/live/getCallResultGuest', {
      token: guest.token,
      roomInstanceId: streamBanned,
    });
    expect(guestSide.body).toMatchObject({
      code: 0,
      reason: 'banned',
      callTime: '1分钟',
      title: '直播内容违规，已禁播',
    });
    expect(guestSide.body).not.toHaveProperty('streamStatus');

    const second = await pairOf(server);
    const accountBanned = await liveCall(server, second.guest, second.anchor);
    await ban(accountBanned, second.guest.userId, 'account', '账号已被封禁');
    const guestScreen = await post(server, '/app/live/getCallResultGuest', {
      token: second.guest.token,
      roomInstanceId: accountBanned,
    });
    expect(guestScreen.body).toMatchObject({ title: '账号已被封禁', streamStatus: 0 });
  });

  it('writes the record once: settling again changes nothing', async () => {
    const { guest, anchor } = await pairOf(server);
    const callId = await liveCall(server, guest, anchor);
    await post(server, '/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
    const before = await db.query('select * from call_records where id = $1', [callId]);
    const instance = await server.context.runtime.get('call', String(callId));
    const context = (instance!.snapshot as CallSnapshot).context;
    const again = await settleCall(
      { records: server.context.callRecords },
      { ...context, endReason: 'hangup_anchor', minutesStarted: context.minutesStarted + 5 },
    );
    expect(again.endReason).toBe('hangup_guest');
    expect(again.minutes).toBe(1);
    const after = await db.query('select * from call_records where id = $1', [callId]);
    expect(after.rows).toEqual(before.rows);
    const { rows } = await db.query(
      'select count(*)::int as n from ledger_transactions where reference = $1',
      [`call:${callId}`],
    );
    expect(rows[0].n).toBe(1);
  });
});
