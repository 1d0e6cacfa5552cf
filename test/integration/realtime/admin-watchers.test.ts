import { Redis } from 'ioredis';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminWatchers } from '../../../src/realtime/admin-watchers.js';
import { ringingCall } from '../../e2e/moderation/call-driver.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { deleteKeysWithPrefix } from '../../helpers/redis.js';
import { TEST_REDIS_URL, uniqueName } from '../../helpers/services.js';

describe('whether an admin panel is open anywhere', () => {
  const prefix = `${uniqueName('admin_watchers')}:`;
  const redis = new Redis(TEST_REDIS_URL);
  const watchers = (processId: string) =>
    createAdminWatchers({
      redis,
      prefix,
      processId,
      checkEveryMs: 100,
      lingerMs: 400,
      otherProcessesAlive: async () => true,
    });
  const first = watchers('first');
  const second = watchers('second');

  afterAll(async () => {
    await first.stop();
    await second.stop();
    await deleteKeysWithPrefix(prefix);
    redis.disconnect();
  });

  it('is told to every process while a panel is open in one, and for the recovery window after it leaves', async () => {
    await first.start();
    await second.start();
    expect([first.watching(), second.watching()]).toEqual([false, false]);

    await first.admitting();
    first.joined();
    // admitting() waited a check period, so the other process already pushes to the new panel.
    expect([first.watching(), second.watching()]).toEqual([true, true]);

    first.left();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(second.watching()).toBe(true);
    await expect
      .poll(() => [first.watching(), second.watching()], { timeout: 3_000 })
      .toEqual([false, false]);
  });
});

describe('admin pushes across processes', () => {
  let one: TestServer;
  let two: TestServer;
  let admin: Socket | undefined;
  beforeAll(async () => {
    one = await startTestServer('admin_watch_two');
    two = await startTestServer(
      'admin_watch_two',
      {},
      {
        databaseUrl: one.databaseUrl,
        redisPrefix: one.redisPrefix,
        adminToken: one.adminToken,
      },
    );
  });
  afterAll(async () => {
    admin?.disconnect();
    await two?.close();
    await one?.close();
  });

  it('sends a panel on one process the transitions of calls the other process runs, and none while no panel is open', async () => {
    const streamKey = `${one.redisPrefix}socket.io`;
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const adminEntries = async () =>
        (await redis.xrange(streamKey, '-', '+')).filter(([, fields]) =>
          fields.join(' ').includes('admin:machine'),
        ).length;
      await ringingCall(two);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await adminEntries()).toBe(0);

      admin = connect(`${one.url}/admin`, { auth: { token: one.adminToken }, transports: ['websocket'] });
      const pushes: Record<string, unknown>[] = [];
      admin.on('admin:machine', (push) => pushes.push(push));
      await new Promise<void>((resolve, reject) => {
        admin?.once('connect', resolve);
        admin?.once('connect_error', reject);
      });
      const call = await ringingCall(two);
      await expect
        .poll(() => pushes.find((push) => push.id === call.callId), { timeout: 5_000 })
        .toMatchObject({ kind: 'call', id: call.callId, to: 'ringing' });
      expect(await adminEntries()).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  });
});
