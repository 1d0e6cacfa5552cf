/**
 * The `over` a QLive room Redis lost is told goes out once however its closing is retried: the
 * reconciler queues it under a fixed id in the transaction that closes the room, so a run that
 * queued it and then failed before the commit leaves the room open, and the next run queues the
 * same message again, which the durable IM queue does not send twice.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveRooms } from '../../../src/db/schema/index.js';
import { imNoticeChannel } from '../../../src/notices/im-channel.js';
import { closeLostRooms, type LostRoomsDeps } from '../../../src/rooms/lost-rooms.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { eventually } from '../../helpers/clients.js';
import { type FakeTencentIm, imEnv, startFakeTencentIm } from '../../helpers/fake-tencent-im.js';
import { deleteKeysWithPrefix } from '../../helpers/redis.js';

let im: FakeTencentIm;
let server: TestServer;
beforeAll(async () => {
  im = await startFakeTencentIm();
  // The server's own reconciler runs only at start: this test runs it by hand.
  server = await startTestServer('lost_room_over', { ...imEnv(im), RECONCILE_EVERY_MS: '3600000' });
});
afterAll(async () => {
  await server?.close();
  await im?.close();
});

const overTo = (groupId: string) =>
  im.messages.filter(
    (message) =>
      message.kind === 'group' &&
      message.to === groupId &&
      JSON.stringify(message.text) === JSON.stringify({ content: '', type: 'over' }),
  );

describe('a lost QLive room told over', () => {
  it('is told once, though the run that queued it failed before closing the room and the next run queued it again', async () => {
    const { context } = server;
    const matchmaker = await server.createUser({ role: 'matchmaker', nickname: 'Mei', gender: 2 });
    const opened = await server.request('POST', '/wx/api/qlive/qlive_room/matchmaker_enter/', {
      headers: { authorization: `QLiveToken ${matchmaker.token}` },
    });
    expect(opened.status).toBe(200);
    const liveId = Number(opened.body.live_id);
    const groupId: string = opened.body.group_id;
    expect(groupId).toMatch(/^@TGS#/);

    await deleteKeysWithPrefix(server.redisPrefix);

    const imChannel = imNoticeChannel(context.im.delivery, context.logger);
    const deps: LostRoomsDeps = {
      db: context.database.db,
      roomIndex: context.roomIndex,
      machineExists: async (roomId) => (await context.roomMachines.get(roomId)) !== null,
      announce: imChannel,
      archive: async () => {},
      graceMs: 1000,
    };
    const endedAt = async () =>
      (
        await context.database.db
          .select({ endedAt: liveRooms.endedAt })
          .from(liveRooms)
          .where(eq(liveRooms.id, liveId))
      )[0]?.endedAt ?? null;

    // The first run queues over and dies before its commit: the room stays open.
    const dying = closeLostRooms(
      {
        ...deps,
        announce: async (notice, origin) => {
          await imChannel(notice, origin);
          throw new Error('the process died here');
        },
      },
      0,
    );
    await expect(dying).rejects.toThrow('the process died here');
    expect(await endedAt()).toBeNull();

    // The next run closes it and queues over again; a third finds nothing to do.
    expect(await closeLostRooms(deps, 0)).toEqual([String(liveId)]);
    expect(await endedAt()).toBeInstanceOf(Date);
    expect(await closeLostRooms(deps, 0)).toEqual([]);

    await eventually(async () => overTo(groupId).length > 0);
    // Long enough for a second send to have gone out (the IM client's backoff is 300 ms here).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(overTo(groupId)).toHaveLength(1);
    expect(im.callsOf('group_open_http_svc/send_group_msg')).toHaveLength(1);
  });
});
